// Canonicalises JSON-LD documents as Digital Bazaar's verifier does: jsonld (JSON-LD to RDF) then
// rdf-canonize (RDFC-1.0, SHA-256), both as pinned in package-lock.json (they come with
// @digitalbazaar/vc). Offline: the documents must name no context (full IRIs only).
//
// Usage: node canonize.mjs INPUT.json, where INPUT is an array of JSON-LD documents. Prints on
// standard output a JSON array with, for each document, its canonical N-Quads, or null when
// rdf-canonize refuses it (too much work: its maxWorkFactor, set to 3 here).
import fs from 'node:fs';
import jsonld from 'jsonld';

const documents = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const documentLoader = async url => {
  throw new Error(`offline: no document for ${url}`);
};
const results = [];
for (const document of documents) {
  try {
    results.push(await jsonld.canonize(document, {
      documentLoader,
      safe: true,
      canonizeOptions: {algorithm: 'RDFC-1.0', maxWorkFactor: 3},
    }));
  } catch (error) {
    if (!String(error && error.message).includes('Maximum deep iterations exceeded')) {
      throw error;
    }
    results.push(null);
  }
}
process.stdout.write(JSON.stringify(results) + '\n');
