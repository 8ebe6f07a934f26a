import { Routes } from '@angular/router';
import { SupervisorPage } from './supervisor-page';

/**
 * The supervisor's sections under `/supervisor`, each lazy-loaded: the live board (the
 * section's home), call history and one call's detail, metrics, callbacks. The role guard
 * sits on the parent route in `app.routes.ts`.
 */
export const SUPERVISOR_ROUTES: Routes = [
  {
    path: '',
    component: SupervisorPage,
    children: [
      {
        path: '',
        pathMatch: 'full',
        title: 'Switchboard — Live board',
        loadComponent: () => import('./live/live-board-page').then((m) => m.LiveBoardPage),
      },
      {
        path: 'calls',
        title: 'Switchboard — Call history',
        loadComponent: () => import('./history/call-history-page').then((m) => m.CallHistoryPage),
      },
      {
        path: 'calls/:id',
        title: 'Switchboard — Call detail',
        loadComponent: () => import('./history/call-detail-page').then((m) => m.CallDetailPage),
      },
      {
        path: 'metrics',
        title: 'Switchboard — Metrics',
        loadComponent: () => import('./metrics/metrics-page').then((m) => m.MetricsPage),
      },
      {
        path: 'callbacks',
        title: 'Switchboard — Callbacks',
        loadComponent: () => import('./callbacks/callbacks-page').then((m) => m.CallbacksPage),
      },
    ],
  },
];
