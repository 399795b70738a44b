/** Row streaming of downloads: the one import of the cursor reader, so its move to server/db/ changes one line. */
export { streamRows } from '../db/rows.ts';
