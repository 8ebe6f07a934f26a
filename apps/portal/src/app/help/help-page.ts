import { ChangeDetectionStrategy, Component } from '@angular/core';

/** The student's page (`/help`): where they call the help desk. A placeholder for now: the help screens are built on it. */
@Component({
  selector: 'sb-help-page',
  template: `<h1>Help desk</h1>`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class HelpPage {}
