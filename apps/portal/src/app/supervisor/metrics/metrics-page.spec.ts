import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { TestBed } from '@angular/core/testing';
import { MatCardHarness } from '@angular/material/card/testing';
import { MatTableHarness } from '@angular/material/table/testing';
import { provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { METRIC_DEFINITIONS } from '@switchboard/call-domain';
import { startOfLocalDay, toDateInput } from '../format';
import { answer, to } from '../testing/http-answers';
import { fakeReport } from '../testing/supervisor-fakes';
import { MetricsPage } from './metrics-page';

describe('MetricsPage', () => {
  let backend: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideRouter([{ path: 'metrics', component: MetricsPage }]), provideHttpClient(), provideHttpClientTesting()],
    });
    backend = TestBed.inject(HttpTestingController);
  });
  afterEach(() => backend.verify());

  async function open(url: string, report = fakeReport()) {
    const harness = await RouterTestingHarness.create();
    const navigated = harness.navigateByUrl(url);
    const [request] = await answer(backend, to('/api/metrics'), report);
    await navigated;
    await harness.fixture.whenStable();
    return { harness, request: request.request, loader: TestbedHarnessEnvironment.loader(harness.fixture) };
  }

  it('says when figures of deleted calls come from aggregates (retention), and only then', async () => {
    const retained = await open('/metrics', { ...fakeReport(), aggregatedBefore: '2026-10-15T00:00:00.000Z' });
    const note = retained.harness.routeNativeElement?.querySelector('.retention')?.textContent ?? '';
    expect(note).toContain('deleted under the data-retention policy');
    expect(note).toContain('stored quarter-hour aggregates');
    expect(note).toContain(new Date('2026-10-15T00:00:00.000Z').getFullYear().toString());
  });

  it('shows no retention note while no call was ever deleted', async () => {
    const { harness } = await open('/metrics');
    expect(harness.routeNativeElement?.querySelector('.figures')).not.toBeNull();
    expect(harness.routeNativeElement?.querySelector('.retention')).toBeNull();
  });

  it('asks for the last 30 days by default, in the browser time zone', async () => {
    const { request } = await open('/metrics');
    const today = new Date();
    const start = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 29);
    expect(request.params.get('from')).toBe(startOfLocalDay(toDateInput(start)));
    expect(request.params.get('to')).toBe(startOfLocalDay(toDateInput(today), 1));
    expect(request.params.get('timeZone')).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });

  it('shows each figure with its definition, and service level with its threshold', async () => {
    const { loader } = await open('/metrics?from=2026-10-01&to=2026-10-31');
    const card = async (title: string) => (await loader.getHarness(MatCardHarness.with({ title }))).getText();
    const expected: [string, string, string][] = [
      ['Offered', '200', METRIC_DEFINITIONS.offered.definition],
      ['Answered', '170', METRIC_DEFINITIONS.answered.definition],
      ['Answer rate', '85.0 %', METRIC_DEFINITIONS.answerRate.definition],
      ['Abandon rate', '10.0 %', METRIC_DEFINITIONS.abandonRate.definition],
      ['Average speed of answer (ASA)', '0:14', METRIC_DEFINITIONS.averageSpeedOfAnswerSeconds.definition],
      ['Average handle time (AHT)', '5:30', METRIC_DEFINITIONS.averageHandleTimeSeconds.definition],
      ['Service level', '80.0 %', METRIC_DEFINITIONS.serviceLevel.definition],
    ];
    for (const [title, value, definition] of expected) {
      const text = await card(title);
      expect(text).withContext(title).toContain(value);
      expect(text).withContext(title).toContain(definition);
    }
    expect(await card('Service level')).toContain('Threshold 20 s; short-abandon window 5 s');
  });

  it('lists missed offers per agent and calls per hour as a chart with a table', async () => {
    const { harness, loader } = await open('/metrics?from=2026-10-01&to=2026-10-31');
    const missed = await loader.getHarness(MatTableHarness);
    expect(await missed.getCellTextByIndex()).toEqual([['Ada Agent', '3']]);
    const page = harness.fixture.nativeElement as HTMLElement;
    expect(page.querySelector('svg[role=img]')?.getAttribute('aria-label')).toContain('busiest hour 10:00–11:00 (40 calls)');
    const hourRows = page.querySelectorAll('details table tbody tr');
    expect(hourRows.length).toBe(24);
    expect(hourRows[10].textContent).toContain('40');
  });
});
