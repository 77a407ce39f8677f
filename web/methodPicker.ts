/**
 * Method checkboxes with one input per documented option (methods/registry.ts), so the page
 * offers every method and option the CLI does, validated by the same resolveMethod.
 */
import { METHODS, type MethodChoice } from '../src/methods/registry.js';
import { kebab } from '../src/options/schema.js';

export interface MethodPicker {
  choices(): MethodChoice[];
}

export function methodPicker(
  container: HTMLElement,
  idPrefix: string,
  checked: readonly string[],
): MethodPicker {
  container.replaceChildren();
  for (const m of METHODS) {
    const box = document.createElement('label');
    box.title = m.summary;
    const input = box.appendChild(document.createElement('input'));
    input.type = 'checkbox';
    input.id = `${idPrefix}-${m.name}`;
    input.value = m.name;
    input.checked = checked.includes(m.name);
    box.append(` ${m.name}`);
    const wrap = document.createElement('div');
    wrap.className = 'method';
    wrap.append(box);
    if (m.options.length > 0) {
      const details = wrap.appendChild(document.createElement('details'));
      details.appendChild(document.createElement('summary')).textContent = 'options';
      for (const o of m.options) {
        const label = details.appendChild(document.createElement('label'));
        label.title = o.description;
        label.append(kebab(o.key));
        const field = label.appendChild(document.createElement('input'));
        field.id = `${idPrefix}-${m.name}-${o.key}`;
        field.dataset.key = o.key;
        field.placeholder =
          o.default === undefined
            ? 'auto'
            : String(o.default) + (o.choices ? ` (${o.choices.join('|')})` : '');
      }
    }
    container.append(wrap);
  }
  return {
    choices: () =>
      METHODS.filter(
        (m) => (document.getElementById(`${idPrefix}-${m.name}`) as HTMLInputElement).checked,
      ).map((m) => {
        const options: Record<string, string | undefined> = {};
        for (const o of m.options) {
          const v = (document.getElementById(`${idPrefix}-${m.name}-${o.key}`) as HTMLInputElement)
            .value;
          options[o.key] = v.trim() === '' ? undefined : v.trim();
        }
        return { name: m.name, options };
      }),
  };
}
