/** The examples' command-line options: `--name` flags and `--name value` options. */
const args = process.argv.slice(2);

/** Whether `--name` was given. */
export const flag = (name: string): boolean => args.includes(`--${name}`);

/** The value after `--name`, or `fallback` when absent. */
export const option = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
