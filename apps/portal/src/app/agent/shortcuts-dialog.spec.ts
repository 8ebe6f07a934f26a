import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { ChangeDetectionStrategy, Component } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import { firstValueFrom } from 'rxjs';
import { DESK_SHORTCUTS } from './desk-shortcuts';
import { ShortcutsDialog } from './shortcuts-dialog';
import { ShortcutsDialogHarness } from './testing/shortcuts-dialog-harness';

@Component({ template: '', changeDetection: ChangeDetectionStrategy.OnPush })
class TestHost {}

describe('ShortcutsDialog', () => {
  let fixture: ComponentFixture<TestHost>;

  async function open(): Promise<ShortcutsDialogHarness | null> {
    fixture = TestBed.createComponent(TestHost);
    TestBed.inject(MatDialog).open(ShortcutsDialog);
    return TestbedHarnessEnvironment.documentRootLoader(fixture).getHarnessOrNull(ShortcutsDialogHarness);
  }

  afterEach(() => TestBed.inject(MatDialog).closeAll());

  it('lists every shortcut of the desk with its keys, in order, and closes', async () => {
    const dialog = await open();
    expect(dialog).not.toBeNull();
    expect(await dialog?.getTitle()).toBe('Keyboard shortcuts');
    const shortcuts = await dialog?.getShortcuts();
    expect(shortcuts).toEqual(DESK_SHORTCUTS.map((s) => ({ keys: s.keys, action: s.description })));
    expect(shortcuts).toContain({ keys: 'Alt+Shift+A', action: 'Accept the incoming call' });
    const closed = firstValueFrom(TestBed.inject(MatDialog).afterAllClosed);
    await dialog?.close();
    await closed;
    await fixture.whenStable();
    expect(await TestbedHarnessEnvironment.documentRootLoader(fixture).getHarnessOrNull(ShortcutsDialogHarness)).toBeNull();
  });
});
