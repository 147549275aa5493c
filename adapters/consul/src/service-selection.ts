import { ServiceSelection, type ServiceSelectionOptions } from '@sextant/adapter-kit';
import { DEFAULTS } from './options';

/**
 * Which Consul services and instances the adapter reports (the `services` option): the kit's
 * selection with Consul's default, leaving out the servers' own `consul` service unless the
 * option gives its own `exclude`.
 */
export class ServiceFilter extends ServiceSelection {
  constructor(selection: ServiceSelectionOptions = {}) {
    super(selection, { exclude: DEFAULTS.exclude });
  }
}
