import { RequestRecorder } from '../src';

describe('RequestRecorder', () => {
  it('answers 404 and keeps every request, telling which carried a secret', async () => {
    const recorder = await RequestRecorder.start();
    try {
      const answer = await fetch(`${recorder.url}/v1/services?namespace=x`, {
        headers: { 'X-Nomad-Token': 'tok-1' },
      });
      expect([answer.status, await answer.text()]).toEqual([404, 'nothing here\n']);
      await fetch(`${recorder.url}/other?token=tok-2`);
      expect(recorder.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
        'GET /v1/services?namespace=x',
        'GET /other?token=tok-2',
      ]);
      expect(recorder.carrying('tok-1').map((r) => r.url)).toEqual(['/v1/services?namespace=x']);
      expect(recorder.carrying('tok-2').map((r) => r.url)).toEqual(['/other?token=tok-2']);
      expect(recorder.carrying('tok-3')).toEqual([]);
    } finally {
      await recorder.close();
    }
  });
});
