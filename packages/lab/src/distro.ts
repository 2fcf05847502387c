// Facts about each distribution the lab models: release files, kernels, boot
// loader layout, systemd version, unit names, python paths. Tables, not
// branches: rootfs, boot and the tools all read from here.

import type { Distro, HostSpec, NovaRelease } from './types.ts';

export type Family = 'el' | 'debian';
export type BootLayout = 'el7' | 'el8-bls' | 'el9-bls' | 'debian';

export interface DistroInfo {
  distro: Distro;
  family: Family;
  layout: BootLayout;
  /** name used in /boot/efi/EFI/<efiDir>/ */
  efiDir: string;
  osRelease: string;
  /** extra release files (path -> content) */
  releaseFiles: Record<string, string>;
  /** installed kernels, newest first */
  kernels: string[];
  /** title used by boot entries, e.g. "CentOS Linux" / "Rocky Linux" / "Ubuntu" */
  bootTitle: string;
  /** EL: "7 (Core)" / "9.4 (Blue Onyx)" */
  versionTitle: string;
  systemd: number;
  /** /proc/sys/kernel/dmesg_restrict */
  dmesgRestrict: boolean;
  /** the kernel's "Linux version" banner */
  banner(kernel: string): string;
  /** default GRUB_CMDLINE_LINUX of an installed system (when the spec gives none) */
  defaultCmdline: string;
  /** volume group of an LVM root (EL) */
  vg?: string;
  pythonSite: string;
  sshUnit: string;
  /** grub-mkconfig / grub2-mkconfig */
  mkconfig: string;
}

const EL_BANNER = (kernel: string): string => {
  if (kernel.includes('el7'))
    return `Linux version ${kernel} (mockbuild@kbuilder.bsys.centos.org) (gcc version 4.8.5 20150623 (Red Hat 4.8.5-44) (GCC) ) #1 SMP Tue Jun 4 14:43:51 UTC 2024`;
  if (kernel.includes('el8'))
    return `Linux version ${kernel} (mockbuild@iad1-prod-build001.bld.equ.rockylinux.org) (gcc version 8.5.0 20210514 (Red Hat 8.5.0-22) (GCC)) #1 SMP Thu May 30 14:21:16 UTC 2024`;
  return `Linux version ${kernel} (mockbuild@iad1-prod-build001.bld.equ.rockylinux.org) (gcc (GCC) 11.4.1 20231218 (Red Hat 11.4.1-3), GNU ld version 2.35.2-43.el9) #1 SMP PREEMPT_DYNAMIC Wed May 1 19:11:28 UTC 2024`;
};

export const DISTROS: Record<Distro, DistroInfo> = {
  'centos-7': {
    distro: 'centos-7',
    family: 'el',
    layout: 'el7',
    efiDir: 'centos',
    osRelease: `NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:7"
HOME_URL="https://www.centos.org/"
BUG_REPORT_URL="https://bugs.centos.org/"

CENTOS_MANTISBT_PROJECT="CentOS-7"
CENTOS_MANTISBT_PROJECT_VERSION="7"
REDHAT_SUPPORT_PRODUCT="centos"
REDHAT_SUPPORT_PRODUCT_VERSION="7"

`,
    releaseFiles: {
      '/etc/redhat-release': 'CentOS Linux release 7.9.2009 (Core)\n',
      '/etc/centos-release': 'CentOS Linux release 7.9.2009 (Core)\n',
      '/etc/system-release': 'CentOS Linux release 7.9.2009 (Core)\n',
    },
    kernels: ['3.10.0-1160.119.1.el7.x86_64', '3.10.0-1160.el7.x86_64'],
    bootTitle: 'CentOS Linux',
    versionTitle: '7 (Core)',
    systemd: 219,
    dmesgRestrict: false,
    banner: EL_BANNER,
    defaultCmdline: 'crashkernel=auto spectre_v2=retpoline rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet',
    vg: 'centos',
    pythonSite: '/usr/lib/python3.6/site-packages',
    sshUnit: 'sshd',
    mkconfig: 'grub2-mkconfig',
  },
  'rocky-8': {
    distro: 'rocky-8',
    family: 'el',
    layout: 'el8-bls',
    efiDir: 'rocky',
    osRelease: `NAME="Rocky Linux"
VERSION="8.10 (Green Obsidian)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="8.10"
PLATFORM_ID="platform:el8"
PRETTY_NAME="Rocky Linux 8.10 (Green Obsidian)"
ANSI_COLOR="0;32"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:rocky:rocky:8:GA"
HOME_URL="https://rockylinux.org/"
BUG_REPORT_URL="https://bugs.rockylinux.org/"
SUPPORT_END="2029-05-31"
ROCKY_SUPPORT_PRODUCT="Rocky-Linux-8"
ROCKY_SUPPORT_PRODUCT_VERSION="8.10"
REDHAT_SUPPORT_PRODUCT="Rocky Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="8.10"
`,
    releaseFiles: {
      '/etc/redhat-release': 'Rocky Linux release 8.10 (Green Obsidian)\n',
      '/etc/rocky-release': 'Rocky Linux release 8.10 (Green Obsidian)\n',
      '/etc/system-release': 'Rocky Linux release 8.10 (Green Obsidian)\n',
    },
    kernels: ['4.18.0-553.5.1.el8_10.x86_64', '4.18.0-553.el8_10.x86_64'],
    bootTitle: 'Rocky Linux',
    versionTitle: '8.10 (Green Obsidian)',
    systemd: 239,
    dmesgRestrict: false,
    banner: EL_BANNER,
    defaultCmdline: 'crashkernel=auto resume=/dev/mapper/rl-swap rd.lvm.lv=rl/root rd.lvm.lv=rl/swap rhgb quiet',
    vg: 'rl',
    pythonSite: '/usr/lib/python3.6/site-packages',
    sshUnit: 'sshd',
    mkconfig: 'grub2-mkconfig',
  },
  'rocky-9': {
    distro: 'rocky-9',
    family: 'el',
    layout: 'el9-bls',
    efiDir: 'rocky',
    osRelease: `NAME="Rocky Linux"
VERSION="9.4 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"
ANSI_COLOR="0;32"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:rocky:rocky:9::baseos"
HOME_URL="https://rockylinux.org/"
BUG_REPORT_URL="https://bugs.rockylinux.org/"
SUPPORT_END="2032-05-31"
ROCKY_SUPPORT_PRODUCT="Rocky-Linux-9"
ROCKY_SUPPORT_PRODUCT_VERSION="9.4"
REDHAT_SUPPORT_PRODUCT="Rocky Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.4"
`,
    releaseFiles: {
      '/etc/redhat-release': 'Rocky Linux release 9.4 (Blue Onyx)\n',
      '/etc/rocky-release': 'Rocky Linux release 9.4 (Blue Onyx)\n',
      '/etc/system-release': 'Rocky Linux release 9.4 (Blue Onyx)\n',
    },
    kernels: ['5.14.0-427.22.1.el9_4.x86_64', '5.14.0-427.13.1.el9_4.x86_64'],
    bootTitle: 'Rocky Linux',
    versionTitle: '9.4 (Blue Onyx)',
    systemd: 252,
    dmesgRestrict: false,
    banner: EL_BANNER,
    defaultCmdline: 'crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M resume=/dev/mapper/rl-swap rd.lvm.lv=rl/root rd.lvm.lv=rl/swap rhgb quiet',
    vg: 'rl',
    pythonSite: '/usr/lib/python3.9/site-packages',
    sshUnit: 'sshd',
    mkconfig: 'grub2-mkconfig',
  },
  'ubuntu-22.04': {
    distro: 'ubuntu-22.04',
    family: 'debian',
    layout: 'debian',
    efiDir: 'ubuntu',
    osRelease: `PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=jammy
`,
    releaseFiles: {
      '/etc/debian_version': 'bookworm/sid\n',
      '/etc/lsb-release': 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION="Ubuntu 22.04.4 LTS"\n',
    },
    kernels: ['5.15.0-107-generic', '5.15.0-105-generic'],
    bootTitle: 'Ubuntu',
    versionTitle: '',
    systemd: 249,
    dmesgRestrict: true,
    banner: (k) => {
      const abi = k.split('-')[1] ?? '107';
      return `Linux version ${k} (buildd@lcy02-amd64-051) (gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0, GNU ld (GNU Binutils for Ubuntu) 2.38) #117-Ubuntu SMP Fri Apr 26 12:26:49 UTC 2024 (Ubuntu 5.15.0-${abi}.117-generic 5.15.149)`;
    },
    defaultCmdline: '',
    pythonSite: '/usr/lib/python3/dist-packages',
    sshUnit: 'ssh',
    mkconfig: 'grub-mkconfig',
  },
  'ubuntu-24.04': {
    distro: 'ubuntu-24.04',
    family: 'debian',
    layout: 'debian',
    efiDir: 'ubuntu',
    osRelease: `PRETTY_NAME="Ubuntu 24.04 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04 LTS (Noble Numbat)"
VERSION_CODENAME=noble
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=noble
LOGO=ubuntu-logo
`,
    releaseFiles: {
      '/etc/debian_version': 'trixie/sid\n',
      '/etc/lsb-release': 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=24.04\nDISTRIB_CODENAME=noble\nDISTRIB_DESCRIPTION="Ubuntu 24.04 LTS"\n',
    },
    kernels: ['6.8.0-35-generic', '6.8.0-31-generic'],
    bootTitle: 'Ubuntu',
    versionTitle: '',
    systemd: 255,
    dmesgRestrict: true,
    banner: (k) =>
      `Linux version ${k} (buildd@lcy02-amd64-020) (x86_64-linux-gnu-gcc-13 (Ubuntu 13.2.0-23ubuntu4) 13.2.0, GNU ld (GNU Binutils for Ubuntu) 2.42) #35-Ubuntu SMP PREEMPT_DYNAMIC Mon May 20 15:51:52 UTC 2024 (Ubuntu 6.8.0-35.35-generic 6.8.4)`,
    defaultCmdline: '',
    pythonSite: '/usr/lib/python3/dist-packages',
    sshUnit: 'ssh',
    mkconfig: 'grub-mkconfig',
  },
  'debian-12': {
    distro: 'debian-12',
    family: 'debian',
    layout: 'debian',
    efiDir: 'debian',
    osRelease: `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`,
    releaseFiles: { '/etc/debian_version': '12.5\n' },
    kernels: ['6.1.0-21-amd64', '6.1.0-18-amd64'],
    bootTitle: 'Debian GNU/Linux',
    versionTitle: '',
    systemd: 252,
    dmesgRestrict: true,
    banner: (k) =>
      `Linux version ${k} (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.90-1 (2024-05-03)`,
    defaultCmdline: '',
    pythonSite: '/usr/lib/python3/dist-packages',
    sshUnit: 'ssh',
    mkconfig: 'grub-mkconfig',
  },
};

export function distroInfo(d: Distro): DistroInfo {
  return DISTROS[d];
}

/** the nova version a distribution's package of a release carries */
export const NOVA_VERSIONS: Record<NovaRelease, string> = {
  yoga: '25.2.1',
  zed: '26.2.2',
  '2023.1': '27.5.1',
  '2023.2': '28.3.0',
  '2024.1': '29.2.0',
  '2024.2': '30.1.0',
  '2025.1': '31.1.0',
};

export const RELEASE_ORDER: NovaRelease[] = ['yoga', 'zed', '2023.1', '2023.2', '2024.1', '2024.2', '2025.1'];

export function releaseAtLeast(r: NovaRelease, min: NovaRelease): boolean {
  return RELEASE_ORDER.indexOf(r) >= RELEASE_ORDER.indexOf(min);
}

export type NovaService = 'api' | 'scheduler' | 'conductor' | 'compute' | 'novncproxy';

export interface UnitInfo {
  name: string;
  description: string;
  execStart: string;
  /** the nova service this unit runs, if any */
  nova?: NovaService | undefined;
  /** Type=notify: `systemctl start` waits for the service and reports its failure */
  notify: boolean;
  processName: string;
}

export function novaUnitName(family: Family, svc: NovaService): string {
  return family === 'el' ? `openstack-nova-${svc}.service` : `nova-${svc}.service`;
}

const NOVA_DESCRIPTIONS: Record<Family, Record<NovaService, string>> = {
  el: {
    api: 'OpenStack Nova API Server',
    scheduler: 'OpenStack Nova Scheduler Server',
    conductor: 'OpenStack Nova Conductor Server',
    compute: 'OpenStack Nova Compute Server',
    novncproxy: 'OpenStack Nova NoVNC Proxy Server',
  },
  debian: {
    api: 'OpenStack Compute API',
    scheduler: 'OpenStack Compute Scheduler',
    conductor: 'OpenStack Compute Conductor',
    compute: 'OpenStack Compute',
    novncproxy: 'OpenStack Compute novncproxy',
  },
};

/** every systemd service unit installed on the host (enabled at boot) */
export function hostUnits(spec: HostSpec): UnitInfo[] {
  const d = distroInfo(spec.distro);
  const units: UnitInfo[] = [];
  const add = (name: string, description: string, execStart: string, processName: string, notify = false, nova?: NovaService): void => {
    units.push({ name, description, execStart, processName, notify, nova });
  };
  if (d.family === 'el') add('sshd.service', 'OpenSSH server daemon', '/usr/sbin/sshd -D $OPTIONS', 'sshd', true);
  else add('ssh.service', 'OpenBSD Secure Shell server', '/usr/sbin/sshd -D $SSHD_OPTS', 'sshd', true);
  add(d.family === 'el' ? 'chronyd.service' : 'chrony.service', 'NTP client/server', '/usr/sbin/chronyd $OPTIONS', 'chronyd');
  const novaSvc = (svc: NovaService): void => {
    const name = novaUnitName(d.family, svc);
    const exec = d.family === 'el' ? `/usr/bin/nova-${svc}` : `/etc/init.d/nova-${svc} systemd-start`;
    add(name, NOVA_DESCRIPTIONS[d.family][svc], exec, `nova-${svc}`, d.family === 'el', svc);
  };
  if (spec.kolla) {
    // kolla: nova and libvirt run in containers of the engine
    if (spec.kolla.engine === 'docker') add('docker.service', 'Docker Application Container Engine', '/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock', 'dockerd', true);
    return units.sort((a, b) => a.name.localeCompare(b.name));
  }
  if (spec.roles.includes('controller')) {
    if (d.family === 'el') {
      add('httpd.service', 'The Apache HTTP Server', '/usr/sbin/httpd $OPTIONS -DFOREGROUND', 'httpd', true);
      add('mariadb.service', 'MariaDB 10.5 database server', '/usr/libexec/mariadbd --basedir=/usr $MYSQLD_OPTS $_WSREP_NEW_CLUSTER', 'mariadbd', true);
      add('openstack-glance-api.service', 'OpenStack Image Service (code-named Glance) API server', '/usr/bin/glance-api', 'glance-api');
      add('neutron-server.service', 'OpenStack Neutron Server', '/usr/bin/neutron-server --config-file /usr/share/neutron/neutron-dist.conf --config-dir /usr/share/neutron/server --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugin.ini --config-dir /etc/neutron/conf.d/common --config-dir /etc/neutron/conf.d/neutron-server --log-file /var/log/neutron/server.log', 'neutron-server', true);
    } else {
      add('apache2.service', 'The Apache HTTP Server', '/usr/sbin/apachectl start', 'apache2');
      add('mysql.service', 'MySQL Community Server', '/usr/sbin/mysqld', 'mysqld', true);
      add('glance-api.service', 'OpenStack Image Service API', '/etc/init.d/glance-api systemd-start', 'glance-api');
      add('neutron-server.service', 'OpenStack Neutron Server', '/etc/init.d/neutron-server systemd-start', 'neutron-server');
    }
    add('rabbitmq-server.service', 'RabbitMQ broker', '/usr/lib/rabbitmq/bin/rabbitmq-server', 'beam.smp', true);
    add('memcached.service', 'memcached daemon', '/usr/bin/memcached -p 11211 -u memcached -m 64 -c 1024 -l 127.0.0.1', 'memcached');
    novaSvc('api');
    novaSvc('scheduler');
    novaSvc('conductor');
    novaSvc('novncproxy');
  }
  if (spec.roles.includes('compute')) {
    add('libvirtd.service', 'Virtualization daemon', '/usr/sbin/libvirtd $LIBVIRTD_ARGS', 'libvirtd', true);
    novaSvc('compute');
  }
  return units.sort((a, b) => a.name.localeCompare(b.name));
}

export function unitDir(spec: HostSpec): string {
  return distroInfo(spec.distro).family === 'el' ? '/usr/lib/systemd/system' : '/lib/systemd/system';
}
