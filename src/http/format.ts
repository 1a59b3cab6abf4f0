export { csvField, csvLine, isoOrNull } from '../core/index.js';
