import { readFileSync, readdirSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { parseYaml } from './src/config/parse.ts';
import { validateStructure } from './src/config/schema.ts';
const dirs = ['/work/shared/testdata/configs/', ...readdirSync('/work/shared/testdata/orbs/').filter(d=>!d.endsWith('.md')).map(d=>`/work/shared/testdata/orbs/${d}/`), '/work/shared/testdata/compile/'];
for (const mode of ['core','1.1']) for (const dir of dirs) for (const f of readdirSync(dir)) {
  if (!f.endsWith('.yml') || f.endsWith('.compiled.yml')) continue;
  const text = readFileSync(dir+f,'utf8');
  const js = mode==='core' ? parseYaml(text).value as any : parseDocument(text, {version:'1.1', merge:true}).toJS({maxAliasCount:-1});
  const isOrb = dir.includes('/orbs/');
  const doc = isOrb ? {...js, version: 2.1} : js;
  const d = validateStructure(doc);
  if (d.length) console.log(mode, dir.split('/').slice(-2).join('/')+f, d.length, d.slice(0,6).map(x=>x.path+': '+x.message).join('\n   '));
}
