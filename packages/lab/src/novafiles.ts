// nova.conf and friends as real deployments leave them: RDO/packstack on EL
// (key=value, the packaged sample's comment blocks kept), the install guide's
// layout on Debian/Ubuntu (key = value). The [pci] section is absent, only
// commented, or half-done from an earlier attempt, depending on the host.

import type { HostSpec } from './types.ts';
import { distroInfo, NOVA_VERSIONS, releaseAtLeast } from './distro.ts';
import { FILTER_SCHEDULER_SECTION_SAMPLE, PCI_SECTION_SAMPLE } from './nova-sample.ts';
import { SECRETS } from './secrets.ts';

export type PciState = 'absent' | 'comments' | 'partial';

export function controllerName(spec: HostSpec, cluster?: HostSpec[]): string {
  const c = cluster?.find((h) => h.roles.includes('controller'));
  return c?.name ?? (spec.roles.includes('controller') ? spec.name : 'ctl1');
}

function hostIp(spec: HostSpec): string {
  let h = 0;
  for (const ch of spec.name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `10.20.0.${11 + (h % 200)}`;
}

export function pciState(spec: HostSpec): PciState {
  const d = distroInfo(spec.distro);
  const hasNvidia = spec.devices.some((x) => x.vendor === '10de');
  if (spec.roles.includes('compute') && hasNvidia && spec.bootMode === 'bios' && d.family === 'el') return 'partial';
  return d.family === 'el' ? 'comments' : 'absent';
}

function pciSample(spec: HostSpec): string {
  const release = spec.nova?.release ?? 'zed';
  let s = PCI_SECTION_SAMPLE;
  if (!releaseAtLeast(release, 'zed')) {
    // Yoga's sample names the option passthrough_whitelist
    s = s
      .replace('# Deprecated group/name - [pci]/passthrough_whitelist\n', '')
      .replace('#device_spec =', '#passthrough_whitelist =')
      .replaceAll('device_spec = ', 'passthrough_whitelist = ');
  }
  return s;
}

/** /etc/nova/nova.conf */
export function novaConf(spec: HostSpec, ctl: string): string {
  const d = distroInfo(spec.distro);
  const el = d.family === 'el';
  const kv = (k: string, v: string): string => (el ? `${k}=${v}` : `${k} = ${v}`);
  const isCtl = spec.roles.includes('controller');
  const isCmp = spec.roles.includes('compute');
  const ip = hostIp(spec);
  const out: string[] = [];
  const section = (name: string, lines: string[]): void => {
    out.push(`[${name}]`, ...lines, '');
  };

  const defaults = el
    ? [
        kv('my_ip', ip),
        ...(isCtl ? [kv('enabled_apis', 'osapi_compute,metadata')] : []),
        kv('transport_url', `rabbit://openstack:${SECRETS.rabbit}@${ctl}:5672/`),
        kv('state_path', '/var/lib/nova'),
        kv('log_dir', '/var/log/nova'),
        ...(isCmp ? [kv('compute_driver', 'libvirt.LibvirtDriver'), kv('cpu_allocation_ratio', '16.0'), kv('ram_allocation_ratio', '1.5')] : []),
        '',
        '#',
        '# From nova.conf',
        '#',
        '',
        '# DEPRECATED: Default flavor to use for the EC2 API only.',
        '#default_flavor = m1.small',
      ]
    : [
        kv('log_dir', '/var/log/nova'),
        kv('lock_path', '/var/lock/nova'),
        kv('state_path', '/var/lib/nova'),
        '# Use the RabbitMQ broker on the controller',
        kv('transport_url', `rabbit://openstack:${SECRETS.rabbit}@${ctl}:5672/`),
        kv('my_ip', ip),
      ];
  section('DEFAULT', defaults);
  section('api', [kv('auth_strategy', 'keystone')]);
  if (isCtl) {
    section('api_database', [kv('connection', `mysql+pymysql://nova_api:${SECRETS.novaApiDb}@${ctl}/nova_api`)]);
  } else if (!el) {
    section('api_database', [kv('connection', 'sqlite:////var/lib/nova/nova_api.sqlite')]);
  }
  if (isCtl) section('database', [kv('connection', `mysql+pymysql://nova:${SECRETS.novaDb}@${ctl}/nova`)]);
  else if (!el) section('database', [kv('connection', 'sqlite:////var/lib/nova/nova.sqlite')]);

  if (isCtl) {
    const filters = spec.nova?.enabledFilters;
    const fs = el ? FILTER_SCHEDULER_SECTION_SAMPLE.replace(/^\[filter_scheduler\]\n/, '').trimEnd().split('\n') : [];
    if (filters !== null && filters !== undefined) fs.push(...(el ? [''] : []), kv('enabled_filters', filters));
    if (el || (filters !== null && filters !== undefined)) section('filter_scheduler', fs);
  }
  section('glance', [kv('api_servers', `http://${ctl}:9292`)]);
  section('keystone_authtoken', [
    kv('www_authenticate_uri', `http://${ctl}:5000/`),
    kv('auth_url', `http://${ctl}:5000/`),
    kv('memcached_servers', `${ctl}:11211`),
    kv('auth_type', 'password'),
    kv('project_domain_name', 'Default'),
    kv('user_domain_name', 'Default'),
    kv('project_name', 'service'),
    kv('username', 'nova'),
    kv('password', SECRETS.novaKeystone),
  ]);
  if (isCmp) section('libvirt', [kv('virt_type', 'kvm')]);
  section('neutron', [
    kv('auth_url', `http://${ctl}:5000`),
    kv('auth_type', 'password'),
    kv('project_domain_name', 'Default'),
    kv('user_domain_name', 'Default'),
    kv('region_name', 'RegionOne'),
    kv('project_name', 'service'),
    kv('username', 'neutron'),
    kv('password', SECRETS.neutron),
    ...(isCtl ? [kv('service_metadata_proxy', 'true'), kv('metadata_proxy_shared_secret', SECRETS.metadata)] : []),
  ]);
  section('oslo_concurrency', [kv('lock_path', el ? '/var/lib/nova/tmp' : '/var/lib/nova/tmp')]);

  const state = pciState(spec);
  if (state !== 'absent') {
    const body = pciSample(spec).replace(/^\[pci\]\n/, '').trimEnd().split('\n');
    if (state === 'partial') {
      const vga = spec.devices.find((x) => x.vendor === '10de');
      const key = spec.nova && releaseAtLeast(spec.nova.release, 'zed') ? 'device_spec' : 'passthrough_whitelist';
      if (vga) body.push('', `${key} = { "vendor_id": "10de", "product_id": "${vga.device}" }`);
    }
    section('pci', body);
  }
  section('placement', [
    kv('region_name', 'RegionOne'),
    kv('project_domain_name', 'Default'),
    kv('project_name', 'service'),
    kv('auth_type', 'password'),
    kv('user_domain_name', 'Default'),
    kv('auth_url', `http://${ctl}:5000/v3`),
    kv('username', 'placement'),
    kv('password', SECRETS.placement),
  ]);
  if (isCtl) section('scheduler', [kv('discover_hosts_in_cells_interval', '300')]);
  section('vnc', [
    kv('enabled', 'true'),
    kv('server_listen', isCmp ? '0.0.0.0' : '$my_ip'),
    kv('server_proxyclient_address', '$my_ip'),
    ...(isCmp ? [kv('novncproxy_base_url', `http://${ctl}:6080/vnc_auto.html`)] : []),
  ]);
  return out.join('\n');
}

/** /etc/nova/nova-compute.conf (Debian/Ubuntu computes: the nova-compute-kvm package) */
export function novaComputeConf(): string {
  return '[DEFAULT]\ncompute_driver=libvirt.LibvirtDriver\n[libvirt]\nvirt_type=kvm\n';
}

/** the admin credentials file on the controller */
export function openrc(spec: HostSpec): { path: string; content: string } {
  const d = distroInfo(spec.distro);
  if (d.family === 'el') {
    return {
      path: '/root/keystonerc_admin',
      content: `unset OS_SERVICE_TOKEN
    export OS_USERNAME=admin
    export OS_PASSWORD='${SECRETS.admin}'
    export OS_REGION_NAME=RegionOne
    export OS_AUTH_URL=http://${hostIp(spec)}:5000/v3
    export PS1='[\\u@\\h \\W(keystone_admin)]\\$ '

export OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_IDENTITY_API_VERSION=3
`,
    };
  }
  return {
    path: '/root/admin-openrc',
    content: `export OS_PROJECT_DOMAIN_NAME=Default
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_NAME=admin
export OS_USERNAME=admin
export OS_PASSWORD=${SECRETS.admin}
export OS_AUTH_URL=http://${spec.name}:5000/v3
export OS_IDENTITY_API_VERSION=3
export OS_IMAGE_API_VERSION=2
`,
  };
}

/** PKG-INFO of the installed nova egg */
export function novaPkgInfo(spec: HostSpec): { path: string; content: string } | undefined {
  if (!spec.nova) return undefined;
  const d = distroInfo(spec.distro);
  const v = NOVA_VERSIONS[spec.nova.release];
  const py = d.pythonSite.match(/python(3\.\d+)/)?.[1];
  const dir = py ? `${d.pythonSite}/nova-${v}-py${py}.egg-info` : `${d.pythonSite}/nova-${v}.egg-info`;
  return {
    path: `${dir}/PKG-INFO`,
    content: `Metadata-Version: 2.1
Name: nova
Version: ${v}
Summary: Cloud computing fabric controller
Home-page: https://docs.openstack.org/nova/latest/
Author: OpenStack
Author-email: openstack-discuss@lists.openstack.org
License: UNKNOWN
Project-URL: Bug Tracker, https://bugs.launchpad.net/nova/
Project-URL: Documentation, https://docs.openstack.org/nova/
Project-URL: Source Code, https://opendev.org/openstack/nova
Platform: UNKNOWN
Classifier: Development Status :: 5 - Production/Stable
Classifier: Environment :: OpenStack
Classifier: Intended Audience :: Information Technology
Classifier: Intended Audience :: System Administrators
Classifier: License :: OSI Approved :: Apache Software License
Classifier: Operating System :: POSIX :: Linux
Classifier: Programming Language :: Python
Classifier: Programming Language :: Python :: 3
Classifier: Programming Language :: Python :: 3 :: Only
Classifier: Programming Language :: Python :: Implementation :: CPython
Requires-Python: >=3.8
Provides-Extra: osprofiler
Provides-Extra: powervm
Provides-Extra: test
Provides-Extra: zvm
License-File: LICENSE

OpenStack Nova
==============

OpenStack Nova provides a cloud computing fabric controller, supporting a wide
variety of compute technologies, including: libvirt (KVM, Xen, LXC and more),
Hyper-V, VMware, OpenStack Ironic and PowerVM.
`,
  };
}

export function hostIpOf(spec: HostSpec): string {
  return hostIp(spec);
}
