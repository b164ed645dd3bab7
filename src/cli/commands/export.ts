import { type Command, InvalidArgumentError } from 'commander';

const SPLITS = ['train', 'val', 'test', 'all'] as const;
type Split = (typeof SPLITS)[number];

function parseSplit(v: string): Split {
  if (!(SPLITS as readonly string[]).includes(v)) {
    throw new InvalidArgumentError(`expected one of ${SPLITS.join(', ')}`);
  }
  return v as Split;
}

/** `reviewlens export ...`: data sets written in other tools' formats. */
export function registerExportCommands(program: Command): void {
  const exp = program.command('export').description('export labelled data in other tools’ formats');
  exp
    .command('llava')
    .description(
      "write MVSA-Single's labelled examples as LLaVA conversation JSONL (id, absolute image path, human/gpt turns), " +
        'for the repository’s fixed split',
    )
    .requiredOption('-o, --out <file>', 'the JSONL file to write (replaced atomically)')
    .option('-s, --split <split>', `which split: ${SPLITS.join(', ')}`, parseSplit, 'train' as Split)
    .action(async (o: { out: string; split: Split }) => {
      const { exportLlava } = await import('../../training/export-llava.js');
      const summary = await exportLlava({
        out: o.out,
        split: o.split,
        log: (m) => process.stdout.write(`${m}\n`),
      });
      if (summary.missingImages.length > 0) {
        process.stderr.write(`reviewlens: ${summary.missingImages.length} example(s) left out: photo missing\n`);
        process.exitCode = 1;
      }
    });
}
