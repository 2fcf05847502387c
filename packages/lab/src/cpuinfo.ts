// /proc/cpuinfo as the kernel prints it for the host's CPU. The vmx / svm
// flag (and the flags that depend on it) appear only when virtualization is
// enabled in the firmware; kernels from 5.8 also print a "vmx flags" line.

import type { HostSpec } from './types.ts';
import { distroInfo } from './distro.ts';

const INTEL_FLAGS =
  'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc art arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc cpuid aperfmperf pni pclmulqdq dtes64 monitor ds_cpl VMX smx est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid dca sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch cpuid_fault epb cat_l3 cdp_l3 invpcid_single intel_ppin ssbd mba ibrs ibpb stibp ibrs_enhanced VMXDEP fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid cqm mpx rdt_a avx512f avx512dq rdseed adx smap clflushopt clwb intel_pt avx512cd avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total cqm_mbm_local dtherm ida arat pln pts pku ospke avx512_vnni md_clear flush_l1d arch_capabilities';
const INTEL_VMX_DEP = 'tpr_shadow vnmi flexpriority ept vpid ept_ad';
const INTEL_VMX_FLAGS =
  'vnmi preemption_timer posted_intr invvpid ept_x_only ept_ad ept_1gb flexpriority apicv tsc_offset vtpr mtf vapic ept vpid unrestricted_guest vapic_reg vid ple shadow_vmcs pml ept_mode_based_exec tsc_scaling';

const AMD_FLAGS =
  'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl nonstop_tsc cpuid extd_apicid aperfmperf rapl pni pclmulqdq monitor ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand lahf_lm cmp_legacy SVM extapic cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw ibs skinit wdt tce topoext perfctr_core perfctr_nb bpext perfctr_llc mwaitx cpb cat_l3 cdp_l3 invpcid_single hw_pstate ssbd mba ibrs ibpb stibp vmmcall fsgsbase bmi1 avx2 smep bmi2 invpcid cqm rdt_a rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total cqm_mbm_local clzero irperf xsaveerptr rdpru wbnoinvd amd_ppin brs arat SVMDEP umip pku ospke vaes vpclmulqdq rdpid overflow_recov succor smca fsrm';
const AMD_SVM_DEP = 'npt lbrv svm_lock nrip_save tsc_scale vmcb_clean flushbyasid decodeassists pausefilter pfthreshold v_vmsave_vmload vgif v_spec_ctrl';

/** flags of a KVM guest on an AMD EPYC host (no svm: no nested virtualization) */
const GUEST_FLAGS =
  'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology nonstop_tsc cpuid extd_apicid tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm cmp_legacy cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw topoext vmmcall fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves clzero xsaveerptr arat umip vaes vpclmulqdq rdpid fsrm';

function kernelAtLeast58(spec: HostSpec): boolean {
  const k = distroInfo(spec.distro).kernels[0] ?? '';
  const [maj = 0, min = 0] = k.split(/[.-]/).map(Number);
  return maj > 5 || (maj === 5 && min >= 8);
}

export function cpuFlags(spec: HostSpec): string {
  const virt = spec.cpu.virtualization;
  if (spec.roles.includes('guest')) return GUEST_FLAGS;
  if (spec.cpu.vendor === 'intel') {
    return INTEL_FLAGS.replace('VMX ', virt ? 'vmx ' : '').replace('VMXDEP ', virt ? `${INTEL_VMX_DEP} ` : '');
  }
  return AMD_FLAGS.replace('SVM ', virt ? 'svm ' : '').replace('SVMDEP ', virt ? `${AMD_SVM_DEP} ` : '');
}

export function renderCpuinfo(spec: HostSpec): string {
  const n = Math.max(1, spec.cpu.cores);
  const intel = spec.cpu.vendor === 'intel';
  const guest = spec.roles.includes('guest');
  const flags = cpuFlags(spec);
  const vmxFlags = intel && spec.cpu.virtualization && kernelAtLeast58(spec) && !guest;
  const blocks: string[] = [];
  for (let i = 0; i < n; i++) {
    const core = i % Math.max(1, Math.floor(n / 2) || 1);
    const lines: Array<[string, string]> = intel
      ? [
          ['processor', String(i)],
          ['vendor_id', 'GenuineIntel'],
          ['cpu family', '6'],
          ['model', '85'],
          ['model name', spec.cpu.model],
          ['stepping', '7'],
          ['microcode', '0x5003604'],
          ['cpu MHz', (3000 + ((i * 37) % 400) / 10).toFixed(3)],
          ['cache size', '36608 KB'],
          ['physical id', String(i < n / 2 ? 0 : 1)],
          ['siblings', String(Math.max(1, n / 2))],
          ['core id', String(core)],
          ['cpu cores', String(Math.max(1, n / 2))],
          ['apicid', String(i * 2)],
          ['initial apicid', String(i * 2)],
          ['fpu', 'yes'],
          ['fpu_exception', 'yes'],
          ['cpuid level', '22'],
          ['wp', 'yes'],
          ['flags', flags],
          ...(vmxFlags ? ([['vmx flags', INTEL_VMX_FLAGS]] as Array<[string, string]>) : []),
          ['bugs', 'spectre_v1 spectre_v2 spec_store_bypass swapgs taa itlb_multihit mmio_stale_data retbleed eibrs_pbrsb gds bhi'],
          ['bogomips', '6000.00'],
          ['clflush size', '64'],
          ['cache_alignment', '64'],
          ['address sizes', '46 bits physical, 48 bits virtual'],
          ['power management', ''],
        ]
      : [
          ['processor', String(i)],
          ['vendor_id', 'AuthenticAMD'],
          ['cpu family', guest ? '25' : '25'],
          ['model', guest ? '17' : '1'],
          ['model name', spec.cpu.model],
          ['stepping', '1'],
          ['microcode', guest ? '0x1000065' : '0xa0011d1'],
          ['cpu MHz', guest ? '2596.134' : (2800 + ((i * 53) % 900) / 10).toFixed(3)],
          ['cache size', guest ? '1024 KB' : '512 KB'],
          ['physical id', '0'],
          ['siblings', String(n)],
          ['core id', String(guest ? i : core)],
          ['cpu cores', String(guest ? n : Math.max(1, n / 2))],
          ['apicid', String(i)],
          ['initial apicid', String(i)],
          ['fpu', 'yes'],
          ['fpu_exception', 'yes'],
          ['cpuid level', guest ? '28' : '16'],
          ['wp', 'yes'],
          ['flags', flags],
          ['bugs', guest ? 'sysret_ss_attrs null_seg spectre_v1 spectre_v2 spec_store_bypass srso spectre_v2_user' : 'sysret_ss_attrs spectre_v1 spectre_v2 spec_store_bypass srso'],
          ['bogomips', guest ? '5192.26' : '5589.50'],
          ['TLB size', guest ? '3584 4K pages' : '2560 4K pages'],
          ['clflush size', '64'],
          ['cache_alignment', '64'],
          ['address sizes', '48 bits physical, 48 bits virtual'],
          ['power management', guest ? '' : 'ts ttp tm hwpstate cpb eff_freq_ro [13] [14]'],
        ];
    blocks.push(
      lines
        .map(([k, v]) => {
          const pad = k.length < 8 ? '\t\t' : k.length < 16 ? '\t' : '';
          return `${k}${pad}:${v === '' ? '' : ` ${v}`}`;
        })
        .join('\n'),
    );
  }
  return `${blocks.join('\n\n')}\n\n`;
}
