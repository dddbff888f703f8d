import { FLAGS } from './launch-args';
import { settingDocs } from './settings';

/** `--help`: the flags, then every setting with its default and meaning, from the settings class itself. */
export function helpText(): string {
  const flags = FLAGS.map((f) => [
    `--${f.name}${f.value ? ` ${f.value}` : ''}${f.short ? `, -${f.short}${f.value ? ` ${f.value}` : ''}` : ''}`,
    f.summary,
  ]);
  const width = Math.max(...flags.map(([flag]) => flag.length));
  const settings = settingDocs().flatMap((s) => [
    `  ${s.name}${s.default === undefined ? ' (unset)' : `=${s.default}`}`,
    `      ${s.meaning ?? '(no description)'}`,
  ]);
  return [
    'Usage: node dist/apps/gateway/src/main.js [flags]',
    '       npx nest start gateway [--port N] [--host ADDRESS]   (or: npx nest start gateway -- [flags])',
    '',
    'The securechat gateway: HTTPS and secure WebSockets (/ws) on one TLS port; all shared state in Redis.',
    '',
    'Flags:',
    ...flags.map(([flag, summary]) => `  ${flag.padEnd(width)}  ${summary}`),
    '',
    'Settings (environment variables, shown with their defaults; a bad value stops the boot naming the setting):',
    ...settings,
    '',
    'See README.md (Settings) and docs/OPERATIONS.md.',
  ].join('\n');
}
