import { readFileSync } from 'node:fs';
import request from 'supertest';
import { createTestApp, type TestApp } from '../../test/kit/test-app.js';
import { API_TAGS } from './openapi-document.js';

const committedFile = 'openapi/openapi.json';

describe('the served OpenAPI document', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is the committed openapi/openapi.json (else run `npm run openapi`)', async () => {
    const response = await request(t.server).get('/docs-json').expect(200);
    expect(response.body).toEqual(JSON.parse(readFileSync(committedFile, 'utf8')));
  });

  it('is public: no token needed', async () => {
    const response = await request(t.server).get('/docs-json').expect(200);
    expect(response.body.openapi).toBe('3.0.3');
    expect(response.body.info).toEqual({ title: 'GoRules BRMS', version: 'local' });
    expect(response.body.tags).toEqual(API_TAGS);
  });

  it('has sorted keys, as the committed file does', async () => {
    const response = await request(t.server).get('/docs-json').expect(200);
    const keys = Object.keys(response.body as object);
    expect(keys).toEqual([...keys].sort());
  });

  it('is browsable in Swagger UI at /docs', async () => {
    const page = await request(t.server).get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('swagger-ui');
    const init = await request(t.server).get('/docs/swagger-ui-init.js').expect(200);
    expect(init.text).toContain('inviteUsers');
  });

  it('is not also served as YAML', async () => {
    await request(t.server).get('/docs-yaml').expect(404);
  });
});
