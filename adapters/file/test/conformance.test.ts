import { describeAdapterConformance } from '@sextant/testkit';
import adapter from '../src';
import { startFilePlatform } from './support/file-platform';

describeAdapterConformance({ name: 'file', factory: adapter, start: startFilePlatform });
