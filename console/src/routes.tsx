// Every screen of the console, one line each; screens load on first visit (smaller first download).
import { createBrowserRouter, type RouteObject } from 'react-router';
import { Shell } from './Shell';
import { Callback, Gate, Home } from './session';
import { NotFound } from './pages/NotFound';

const screen = (path: string, load: () => Promise<{ default: React.ComponentType }>): RouteObject => ({
  path,
  lazy: async () => ({ Component: (await load()).default }),
});

export const router = createBrowserRouter(
  [
    { path: '/callback', Component: Callback },
    {
      element: (
        <Gate>
          <Shell />
        </Gate>
      ),
      children: [
        { index: true, Component: Home },
        screen('/tenants', () => import('./pages/Tenants')),
        screen('/t/:tenant', () => import('./pages/Overview')),
        screen('/t/:tenant/users', () => import('./pages/Users')),
        screen('/t/:tenant/settings', () => import('./pages/Settings')),
        { path: '*', Component: NotFound },
      ],
    },
  ],
  { basename: '/admin' },
);
