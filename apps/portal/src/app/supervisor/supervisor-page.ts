import { ChangeDetectionStrategy, Component } from '@angular/core';

/** The supervisor's page (`/supervisor`): the live queue, agents and metrics. A placeholder for now: the supervisor screens are built on it. */
@Component({
  selector: 'sb-supervisor-page',
  template: `<h1>Supervisor</h1>`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SupervisorPage {}
