import { describeAdapterConformance } from '@sextant/testkit';
import adapter from '../src';
import { startConsulPlatform } from './support/consul-platform';

describeAdapterConformance({ name: 'consul', factory: adapter, start: startConsulPlatform });
