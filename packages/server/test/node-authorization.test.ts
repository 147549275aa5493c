import { parseProxyIdentity } from '@sextant/core';
import { authorizeNode, nodeClaim, parseSpiffeId, spiffeIdentities } from '../src';

const identity = (uri: string) => {
  const parsed = parseSpiffeId(uri);
  if (!parsed) throw new Error(`not a SPIFFE ID: ${uri}`);
  return parsed;
};
const REVIEWS = identity('spiffe://cluster.local/ns/default/sa/reviews');
const node = (id: string) => parseProxyIdentity(id);

describe('SPIFFE identities of a certificate', () => {
  it('reads spiffe://<trust-domain>/ns/<namespace>/sa/<service-account> URIs among the subject alternative names', () => {
    expect(
      spiffeIdentities({
        subjectaltname:
          'DNS:reviews, URI:https://example.com/x, URI:spiffe://cluster.local/ns/default/sa/reviews, IP Address:10.0.0.1',
      }),
    ).toEqual([
      {
        uri: 'spiffe://cluster.local/ns/default/sa/reviews',
        trustDomain: 'cluster.local',
        namespace: 'default',
        serviceAccount: 'reviews',
      },
    ]);
  });

  it('finds none in a certificate without URIs, or with SPIFFE IDs of another shape', () => {
    expect(spiffeIdentities({ subjectaltname: 'DNS:reviews' })).toEqual([]);
    expect(spiffeIdentities(undefined)).toEqual([]);
    expect(parseSpiffeId('spiffe://cluster.local/workload/reviews')).toBeUndefined();
    expect(parseSpiffeId('spiffe://cluster.local/ns/default/sa/reviews/extra')).toBeUndefined();
    expect(parseSpiffeId('spiffe://cluster.local/ns//sa/reviews')).toBeUndefined();
    // Node quotes a name that holds a comma; no Istio identity does.
    expect(spiffeIdentities({ subjectaltname: 'URI:"spiffe://cluster.local/ns/a,b/sa/c"' })).toEqual([]);
  });
});

describe('what a node id claims', () => {
  it("takes the namespace from the workload part of Istio's form, and no service account", () => {
    expect(nodeClaim(node('sidecar~10.0.1.11~reviews-v1-7d8f.default~default.svc.cluster.local'))).toEqual({
      namespace: 'default',
    });
    // A pod name may hold dots; a namespace cannot.
    expect(nodeClaim(node('sidecar~10.0.1.11~web.v2.shop~shop.svc.cluster.local'))).toEqual({
      namespace: 'shop',
    });
  });

  it('takes <service-account>.<namespace> from a bare id', () => {
    expect(nodeClaim(node('reviews.default'))).toEqual({ namespace: 'default', serviceAccount: 'reviews' });
    expect(nodeClaim(node('api.v2.shop'))).toEqual({ namespace: 'shop', serviceAccount: 'api.v2' });
  });

  it('claims nothing for an id without a namespace', () => {
    expect(nodeClaim(node('reviews'))).toBeUndefined();
    expect(nodeClaim(node('reviews.'))).toBeUndefined();
    expect(nodeClaim(node('.default'))).toBeUndefined();
    expect(nodeClaim(node('sidecar~10.0.1.11~reviews~default.svc.cluster.local'))).toBeUndefined();
  });
});

describe('strict node authorization', () => {
  it("serves a workload's own node", () => {
    expect(
      authorizeNode([REVIEWS], node('sidecar~10.0.1.11~reviews-v1.default~default.svc.cluster.local')),
    ).toEqual({
      allowed: true,
    });
    expect(authorizeNode([REVIEWS], node('reviews.default'))).toEqual({ allowed: true });
  });

  it('refuses the node of another namespace or service account, saying whose certificate it is', () => {
    const denied = authorizeNode([REVIEWS], node('sidecar~10.0.2.1~ratings-v1.prod~prod.svc.cluster.local'));
    expect(denied).toEqual({
      allowed: false,
      reason:
        'the client certificate (spiffe://cluster.local/ns/default/sa/reviews) is not for namespace prod',
    });
    expect(authorizeNode([REVIEWS], node('ratings.default'))).toMatchObject({ allowed: false });
  });

  it('refuses a certificate without a SPIFFE identity, and a node id that names no namespace', () => {
    expect(authorizeNode([], node('reviews.default'))).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('no spiffe://'),
    });
    expect(authorizeNode([REVIEWS], node('reviews'))).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('names no namespace'),
    });
  });

  it('serves when any of several identities matches', () => {
    const other = identity('spiffe://cluster.local/ns/prod/sa/ratings');
    expect(authorizeNode([other, REVIEWS], node('reviews.default'))).toEqual({ allowed: true });
  });
});
