import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { INTERNAL_AUTH_SCHEME, PERSONAL_ACCESS_TOKEN_SCHEME } from '../auth/auth.decorators.js';

export const OPENAPI_VERSION = '3.0.3';
export const API_TITLE = 'GoRules BRMS';
export const API_VERSION = 'local';

/** Swagger UI is served here; the JSON document at `${DOCS_PATH}-json`. */
export const DOCS_PATH = 'docs';

/**
 * Every tag of the reference document, in its order and with its words. The document lists all of
 * them even though this service implements few of the operations, as the reference does.
 */
export const API_TAGS: readonly { name: string; description: string }[] = [
  {
    name: 'AI',
    description: 'AI-powered assistant for interactive conversations and decision logic generation',
  },
  {
    name: 'Audit log',
    description: 'Track and export organisation activity logs for compliance and monitoring',
  },
  {
    name: 'Branches',
    description:
      'Manage feature branches for collaborative decision development with commits and merging',
  },
  {
    name: 'Change requests',
    description: 'Review and approve changes before merging or deploying to environments',
  },
  { name: 'Cloud', description: 'Cloud-specific endpoints for organisation and client management' },
  {
    name: 'Decision',
    description: 'Evaluate and simulate decision graphs with trace and performance data',
  },
  {
    name: 'Deployment workflows',
    description: 'Manage deployment workflow runs and job approvals',
  },
  {
    name: 'Deployments',
    description: 'Configure cloud storage providers for release deployments',
  },
  {
    name: 'Document',
    description: 'Manage decision documents, versions, and file operations within projects',
  },
  {
    name: 'Environment',
    description: 'Configure deployment environments with approval workflows and access tokens',
  },
  { name: 'Group', description: 'Manage permission groups for project-level access control' },
  { name: 'Infrastructure', description: 'Health check and infrastructure status endpoints' },
  {
    name: 'Integration',
    description: 'Configure external integrations for HTTP requests and data sources',
  },
  { name: 'Invitation', description: 'Manage organisation invitations for new members' },
  { name: 'Member', description: 'Manage project membership and group assignments' },
  {
    name: 'Organisation',
    description: 'Manage organisation settings, preferences, and licensing',
  },
  {
    name: 'Personal access token',
    description: 'Create and manage personal access tokens for API authentication',
  },
  { name: 'Profile', description: 'Manage current user profile settings' },
  { name: 'Project', description: 'Create and manage projects with approval workflows' },
  {
    name: 'Release',
    description:
      'Package, version, and deploy decision documents. Learn more about [Releases](https://gorules.io/developers/brms/multi-environment)',
  },
  {
    name: 'Roles',
    description: 'Define custom roles with permissions for organisation-wide access control',
  },
  { name: 'Security', description: 'Manage project access tokens for API authentication' },
  { name: 'Templates', description: 'Browse and apply project templates for quick onboarding' },
  { name: 'Test events', description: 'Manage test events for decision evaluation and testing' },
  { name: 'User', description: 'Manage organisation users, invitations, and service accounts' },
];

/**
 * The service's OpenAPI document, built from the module graph of `app`. The server (`/docs-json`)
 * and `npm run openapi` both call this, so what is served is what is committed.
 *
 * `app` only needs its module graph: a preview application (`NestFactory.create(AppModule,
 * { preview: true })`, see tools/openapi-check/openapi-generation.ts) is enough, so no database is needed.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setOpenAPIVersion(OPENAPI_VERSION)
    .setTitle(API_TITLE)
    .setVersion(API_VERSION)
    .addSecurity(INTERNAL_AUTH_SCHEME, {
      type: 'http',
      scheme: 'internal',
      description: 'Cannot be used directly',
    })
    .addSecurity(PERSONAL_ACCESS_TOKEN_SCHEME, {
      type: 'http',
      scheme: 'bearer',
      description: 'Personal access token is obtained through your profile',
    });
  for (const tag of API_TAGS) builder.addTag(tag.name, tag.description);
  const config = builder.build();

  const document = SwaggerModule.createDocument(
    app,
    {
      ...config,
      // DocumentBuilder starts from `description: ''` and `contact: {}`; the reference has neither.
      info: { title: config.info.title, version: config.info.version },
      // No operation is public unless it says so: each one declares its own security.
      security: [],
    },
    {
      // The reference names operations after what they do (`inviteUsers`), which is the handler's
      // method name here; Nest's default would prefix the controller class.
      operationIdFactory: (_controller, method, version) =>
        version ? `${method}_${version}` : method,
      // Tags come from explicit @ApiTags only; Nest would otherwise invent one per controller.
      autoTagControllers: false,
    },
  );
  return sortKeys(postProcess(document)) as OpenAPIObject;
}

/**
 * Deliberate corrections of what @nestjs/swagger 12.0.2 writes, each one a difference the reference
 * does not have. Kept here, in one place, rather than in the DTOs.
 */
function postProcess(document: OpenAPIObject): OpenAPIObject {
  // JSON round trip: drops `undefined` members, so the served and the committed documents match.
  const copy = JSON.parse(JSON.stringify(document)) as OpenAPIObject;
  // No DTO yet means an empty `schemas` object, which the reference does not have.
  if (copy.components?.schemas && Object.keys(copy.components.schemas).length === 0) {
    delete copy.components.schemas;
  }
  // Nest writes `parameters: []` on every operation, even those without parameters.
  for (const pathItem of Object.values(copy.paths)) {
    for (const operation of Object.values(pathItem) as { parameters?: unknown }[]) {
      if (Array.isArray(operation.parameters) && operation.parameters.length === 0) {
        delete operation.parameters;
      }
    }
  }
  return copy;
}

/** A copy of `value` with every object's keys in code-point order; arrays keep their order. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
    }
    return sorted;
  }
  return value;
}

/**
 * Serves Swagger UI at `/docs` and the document at `/docs-json` (no YAML variant). The document is
 * built on the first request, from the same function `npm run openapi` uses. Both routes are plain
 * HTTP adapter routes, outside the guards: the document is public.
 */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app), {
    raw: ['json'],
    customSiteTitle: `${API_TITLE} API`,
    // A filter box for the operations; the token survives a reload.
    swaggerOptions: { persistAuthorization: true, filter: true },
    // Only the copy embedded in Swagger UI's init script is changed; /docs-json stays the contract.
    patchDocumentOnRequest: <TRequest, TResponse>(
      req: TRequest,
      _res: TResponse,
      document: OpenAPIObject,
    ): OpenAPIObject =>
      /swagger-ui-init\.js$/.test((req as { url?: string }).url ?? '')
        ? swaggerUiDocument(document)
        : document,
  });
}

/**
 * The copy Swagger UI shows. It offers no input for a custom `http` scheme such as `internal`, so
 * this copy describes `internalAuth` as the header it really is: a person pastes the whole
 * `Internal <token>` value into the Authorize dialog and every "Try it out" sends it as is.
 * `personalAccessToken` is a standard bearer scheme, which the dialog offers as it is: paste the
 * `brms_pat_…` token alone. The dialog lists both; an operation sends the one it declares. And it
 * lists only the tags that have operations here: the reference's other tags would otherwise fill
 * the page with empty sections above the ones in use.
 */
export function swaggerUiDocument(document: OpenAPIObject): OpenAPIObject {
  const used = new Set(
    Object.values(document.paths).flatMap((pathItem) =>
      Object.values(pathItem as Record<string, { tags?: string[] }>).flatMap(
        (operation) => operation.tags ?? [],
      ),
    ),
  );
  return {
    ...document,
    tags: document.tags?.filter((tag) => used.has(tag.name)),
    components: {
      ...document.components,
      securitySchemes: {
        ...document.components?.securitySchemes,
        [INTERNAL_AUTH_SCHEME]: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'Paste the whole value, including the scheme: `Internal <token>`',
        },
      },
    },
  };
}
