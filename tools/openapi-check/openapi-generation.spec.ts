import request from 'supertest';
import { createTestApp, type TestApp } from '../../test/kit/test-app.js';
import { generateOpenApiDocument, type Service } from './openapi-generation.ts';

/** The service from its sources, as Jest compiles them (the tool itself loads dist/). */
async function sourceService(): Promise<Service> {
  const [{ AppModule }, { APP_OPTIONS }, { buildOpenApiDocument }] = await Promise.all([
    import('../../src/app.module.js'),
    import('../../src/app.setup.js'),
    import('../../src/openapi/openapi-document.js'),
  ]);
  return { AppModule, APP_OPTIONS, buildOpenApiDocument };
}

describe('the generated OpenAPI document', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is what the server serves, though made without a server or a database', async () => {
    const response = await request(t.server).get('/docs-json').expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toEqual(await generateOpenApiDocument(sourceService));
  });
});
