import { describeAdapterConformance } from '@sextant/testkit';
import adapter from '../src';
import { startNomadPlatform } from './support/nomad-platform';

describeAdapterConformance({ name: 'nomad', factory: adapter, start: startNomadPlatform });
