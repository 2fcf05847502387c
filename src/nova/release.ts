// OpenStack releases as nova sees them.
//
// Major versions of nova per release, from openstack/releases
// (deliverables/<series>/nova.yaml) and nova's release notes:
//   20 train, 21 ussuri, 22 victoria, 23 wallaby, 24 xena, 25 yoga, 26 zed,
//   27 2023.1 (antelope), 28 2023.2 (bobcat), 29 2024.1 (caracal),
//   30 2024.2 (dalmatian), 31 2025.1 (epoxy), 32 2025.2 (flamingo) ...
// Since 2023.1 releases are named <year>.<1|2> and come twice a year, so
// major N >= 27 is year 2023 + floor((N - 27) / 2), half (N - 27) % 2 + 1.

export type NamedRelease = 'train' | 'ussuri' | 'victoria' | 'wallaby' | 'xena' | 'yoga' | 'zed';
export type NovaRelease = NamedRelease | `${number}.${1 | 2}`;

const NAMED: ReadonlyArray<[NamedRelease, number]> = [
  ['train', 20],
  ['ussuri', 21],
  ['victoria', 22],
  ['wallaby', 23],
  ['xena', 24],
  ['yoga', 25],
  ['zed', 26],
];

export class UnknownNovaVersionError extends Error {}

/** The nova major version of a release (zed -> 26, 2024.1 -> 29). */
export function novaMajor(release: NovaRelease): number {
  const named = NAMED.find(([n]) => n === release);
  if (named) return named[1];
  const m = /^(\d{4})\.([12])$/.exec(release);
  if (!m) throw new UnknownNovaVersionError(`unknown OpenStack release: ${release}`);
  return 27 + (Number(m[1]) - 2023) * 2 + (Number(m[2]) - 1);
}

/**
 * The release of a nova version string: "26.2.2", "3:26.2.2-0ubuntu1",
 * "27.1.0-1.el9", "nova-29.0.1.dev12". Throws for versions older than
 * Train (20) or that do not start with a number.
 */
export function releaseFromVersion(novaVersion: string): NovaRelease {
  const v = novaVersion.trim().replace(/^nova-/, '').replace(/^\d+:/, '');
  const m = /^(\d+)(\.|$)/.exec(v);
  if (!m) throw new UnknownNovaVersionError(`not a nova version: ${JSON.stringify(novaVersion)}`);
  const major = Number(m[1]);
  const named = NAMED.find(([, n]) => n === major);
  if (named) return named[0];
  if (major < 20) throw new UnknownNovaVersionError(`nova ${novaVersion} is older than Train (20); not supported`);
  const year = 2023 + Math.floor((major - 27) / 2);
  const half = ((major - 27) % 2) + 1;
  return `${year}.${half as 1 | 2}`;
}

/** a is the same release as b or newer */
export function atLeast(a: NovaRelease, b: NovaRelease): boolean {
  return novaMajor(a) >= novaMajor(b);
}
