import { adapter } from './factory';

export { adapter };
export default adapter;
export {
  nomadAdapterOptionsSchema,
  type NomadAdapterOptions,
  type NomadServiceSelection,
  type NomadTlsOptions,
} from './options';
