// The passwords written into the lab's files. Each is a distinct,
// recognisable string so that tests can assert none of them ever reaches
// passthru's output, logs or reports.

export const SECRETS = {
  rabbit: 'labRabbit-7q2VxT9m',
  novaDb: 'labNovaDb-4kP8sLw2',
  novaApiDb: 'labNovaApiDb-9fH3zR',
  novaKeystone: 'labNovaKs-x81Lq0Zp',
  neutron: 'labNeutronKs-5TgW2c',
  placement: 'labPlacementKs-3Hn7',
  metadata: 'labMetaSecret-6Jr1Yb',
  admin: 'labAdminPw-8Zq4VxKe',
} as const;

export const LAB_SECRETS: string[] = Object.values(SECRETS);
