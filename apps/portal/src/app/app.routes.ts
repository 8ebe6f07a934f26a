import { Routes } from '@angular/router';
import { redirectHome, roleGuard, signedOutGuard } from './auth/role-guards';

/**
 * The portal's pages. Each role's page is lazy-loaded behind `roleGuard(role)` inside the
 * shared shell; to add a page, add a child route here with the guard of the role it serves.
 */
export const routes: Routes = [
  { path: '', pathMatch: 'full', redirectTo: redirectHome },
  {
    path: 'login',
    title: 'Switchboard — Sign in',
    canMatch: [signedOutGuard],
    loadComponent: () => import('./login/login-page').then((m) => m.LoginPage),
  },
  {
    path: '',
    loadComponent: () => import('./shell/app-shell').then((m) => m.AppShell),
    children: [
      {
        path: 'help',
        title: 'Switchboard — Help desk',
        canMatch: [roleGuard('student')],
        loadComponent: () => import('./help/help-page').then((m) => m.HelpPage),
      },
      {
        path: 'agent',
        title: 'Switchboard — Agent desk',
        canMatch: [roleGuard('agent')],
        loadComponent: () => import('./agent/agent-page').then((m) => m.AgentPage),
      },
      {
        path: 'supervisor',
        title: 'Switchboard — Supervisor',
        canMatch: [roleGuard('supervisor')],
        loadChildren: () => import('./supervisor/supervisor.routes').then((m) => m.SUPERVISOR_ROUTES),
      },
    ],
  },
  { path: '**', redirectTo: redirectHome },
];
