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
/** A duration in whole seconds (what maintenance takes): `7d`, `1.5h`; not `1.5s` or `250ms`. */
export const wholeSecondsArg = wrap((s) => {
  const secs = parseDuration(s);
  // To the millisecond first: 1.1h is 3960 s, where floats say 3960.0000000000005.
  return Math.round(secs * 1000) / 1000;
}, (v) => {
  if (!Number.isInteger(v)) return 'The duration must be a whole number of seconds.';
  if (!Number.isSafeInteger(v)) return 'The duration is too large.';
  return undefined;
});
/** A non-negative integer. */
export const countArg = wrap(parseCount);
/** A positive integer. */
export const positiveCountArg = wrap(parseCount, (v) => (v > 0 ? undefined : 'The number must be at least 1.'));

/** `--json` and `--pretty`, which exclude each other. */
export function outputFormatOptions(jsonHelp: string, prettyHelp: string): Option[] {
  return [
    new Option('--json', jsonHelp).conflicts('pretty'),
    new Option('--pretty', prettyHelp).conflicts('json'),
  ];
}

export const SIZE_HELP = 'sizes: 512k, 64MiB (powers of 1024), 1.5GB (powers of 1000), or bytes';
export const DURATION_HELP = 'durations: 45s, 30m, 12h, 7d, 2w, 1h30m, or seconds';
