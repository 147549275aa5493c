import { describeAdapterConformance } from '@sextant/testkit';
import adapter from '../src';
import { startKubernetesPlatform } from './support/kubernetes-platform';

describeAdapterConformance({ name: 'kubernetes', factory: adapter, start: () => startKubernetesPlatform() });
