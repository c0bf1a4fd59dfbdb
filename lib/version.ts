/** flowmatch's version, from package.json (the CLI's --version and the API's `version`). */
import { version as packageVersion } from '../package.json';

export const version: string = packageVersion;
