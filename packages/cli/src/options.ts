// Commander argument parsers for the option types the commands share. A value that does
// not parse becomes commander's InvalidArgumentError, so commander names the option in the
// message and the command exits with the usage code (2).
import { InvalidArgumentError, Option } from 'commander';
import { UnitParseError, parseCount, parseDuration, parseSize } from './units.js';

function wrap<T>(parse: (s: string) => T, check?: (v: T) => string | undefined): (s: string) => T {
  return (s) => {
    let v: T;
    try {
      v = parse(s);
    } catch (err) {
      // Commander's message already names the option and the value: add just the reason.
      if (err instanceof UnitParseError) throw new InvalidArgumentError(`${err.reason.charAt(0).toUpperCase()}${err.reason.slice(1)}.`);
      throw err;
    }
    const problem = check?.(v);
    if (problem) throw new InvalidArgumentError(problem);
    return v;
  };
}

/** A positive size in bytes: `64MiB`, `1.5GB`, `512k`. */
export const sizeArg = wrap(parseSize, (v) => (v > 0 ? undefined : 'The size must be above 0 bytes.'));
/** A duration in seconds: `7d`, `12h`, `30m`, `45s`. */
export const durationArg = wrap(parseDuration);
/** A non-negative integer. */
export const countArg = wrap(parseCount);

/** `--json` and `--pretty`, which exclude each other. */
export function outputFormatOptions(jsonHelp: string, prettyHelp: string): Option[] {
  return [
    new Option('--json', jsonHelp).conflicts('pretty'),
    new Option('--pretty', prettyHelp).conflicts('json'),
  ];
}

export const SIZE_HELP = 'sizes: 512k, 64MiB (powers of 1024), 1.5GB (powers of 1000), or bytes';
export const DURATION_HELP = 'durations: 45s, 30m, 12h, 7d, 2w, 1h30m, or seconds';
