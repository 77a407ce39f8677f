import { createGuidanceRule, GUIDANCE_RULES } from '../guidance/index.js';
import type { MethodSpec, OptionValue } from './types.js';

/** Options with an undefined value are left to the rule's own default. */
function given(options: Readonly<Record<string, OptionValue>>): Record<string, OptionValue> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

/**
 * The guidance rules of guidance/, each as a method of its own, with the options the rule
 * declares (w is the method's own argument, and a wrapper's inner rule is CFG).
 */
export const GUIDANCE_METHODS: readonly MethodSpec[] = GUIDANCE_RULES.map((rule) => ({
  name: rule.name,
  summary: rule.summary,
  options: rule.options.filter((o) => o.key !== 'w'),
  build: (w, opts, schedule) => ({
    rule: createGuidanceRule(rule.name, { ...given(opts), w }, { levels: schedule.levels }),
    wrappers: [],
  }),
}));
