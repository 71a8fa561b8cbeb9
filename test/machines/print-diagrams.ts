// Prints the diagrams docs/machines.md embeds: npx tsx test/machines/print-diagrams.ts
import { frameworkMachine } from '../../machines/framework.machine';
import { podInstanceMachine } from '../../machines/pod-instance.machine';
import { renderMermaid } from './mermaid';

process.stdout.write(`## pod instance\n\n\`\`\`mermaid\n${renderMermaid(podInstanceMachine)}\n\`\`\`\n\n`);
process.stdout.write(`## framework\n\n\`\`\`mermaid\n${renderMermaid(frameworkMachine)}\n\`\`\`\n`);
