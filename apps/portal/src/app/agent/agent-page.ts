import { ChangeDetectionStrategy, Component } from '@angular/core';

/** The agent's page (`/agent`): presence, incoming calls, the call itself. A placeholder for now: the agent screens are built on it. */
@Component({
  selector: 'sb-agent-page',
  template: `<h1>Agent desk</h1>`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AgentPage {}
