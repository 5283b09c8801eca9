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
        screen('/t/:tenant', () => import('./pages/Overview')),
        screen('/t/:tenant/users', () => import('./pages/Users')),
        screen('/t/:tenant/users/:id', () => import('./pages/User')),
        screen('/t/:tenant/applications', () => import('./pages/Applications')),
        screen('/t/:tenant/applications/new', () => import('./pages/ApplicationNew')),
        screen('/t/:tenant/applications/:clientId', () => import('./pages/Application')),
        screen('/t/:tenant/roles', () => import('./pages/Roles')),
        screen('/t/:tenant/invitations', () => import('./pages/Invitations')),
        screen('/t/:tenant/webhooks', () => import('./pages/Webhooks')),
        screen('/t/:tenant/webhooks/:id', () => import('./pages/Webhook')),
        screen('/t/:tenant/audit', () => import('./pages/Audit')),
        screen('/t/:tenant/keys', () => import('./pages/Keys')),
        screen('/t/:tenant/settings', () => import('./pages/Settings')),
        screen('/tenants', () => import('./pages/Tenants')),
        screen('/api-keys', () => import('./pages/ApiKeys')),
        { path: '*', Component: NotFound },
      ],
    },
  ],
  { basename: '/admin' },
);
