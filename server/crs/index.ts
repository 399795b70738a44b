/** VN-2000 and WGS 84 coordinate systems: the registry, transformations, CRS proposals and .prj recognition. */
export * from './registry.ts';
export * from './transform.ts';
export * from './vietnam.ts';
export * from './suggest.ts';
export * from './prj.ts';
