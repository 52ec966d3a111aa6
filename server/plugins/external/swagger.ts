/**
 * OpenAPI at `/docs`, generated from the route schemas — the zod contracts in shared/api — by
 * fastify-type-provider-zod's `jsonSchemaTransform`, shown with @fastify/swagger-ui.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

export default fp(
  async (fastify) => {
    await fastify.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Mifeng API',
          description:
            'End-to-end encrypted secret letters. The server only ever sees ciphertext. See docs/api.md.',
          version: '1.0.0',
        },
        components: {
          securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
        },
      },
      transform: jsonSchemaTransform,
    });
    await fastify.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'swagger' },
);
