/** Placeholder router: replaced by its issue's implementation. */
import { Router } from 'express';
import type { AppContext } from '../context.ts';

export function createQueryRouter(_ctx: AppContext): Router {
  return Router();
}
