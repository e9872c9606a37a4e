// Every route module, one per API tag. Each registers its routes on the app.
import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from '../deps.ts';
import { userRoutes } from './user.ts';

export type RouteModule = (app: FastifyInstance, deps: HttpDeps) => void | Promise<void>;

export const routeModules: RouteModule[] = [userRoutes];
