// Triage a folder of reported images against the hotline's hash lists.
// usage: node triage.mjs INDEX_DIR FOLDER [THREADS]
import { createScanner, groupNearDuplicates, openIndex } from '@staydown/sdk';

const [indexDir, folder, threads = '2'] = process.argv.slice(2);
const index = await openIndex(indexDir, { readOnly: true });
const scanner = createScanner({ index, threads: Number(threads) });
const hashed = [];
try {
  for await (const result of scanner.scanPaths(folder)) {
    if (result.error) {
      console.log(`FAILED  ${result.path} ${result.error.code}: ${result.error.message}`);
      continue;
    }
    hashed.push({ id: result.path, pdq: result.hashes.pdq });
    for (const m of result.matches) {
      console.log(`MATCH   ${result.path} list=${m.list} label=${m.label} ${m.signal} distance=${m.distance}`);
    }
  }
} finally {
  await scanner.close();
  await index.close();
}
// The same picture reported many times: one group per picture.
for (const group of await groupNearDuplicates(hashed.filter((h) => h.pdq))) {
  if (group.length > 1) console.log(`SAME    ${group.join(' ')}`);
}
