import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { TestBed } from '@angular/core/testing';
import { MatButtonHarness } from '@angular/material/button/testing';
import { MatInputHarness } from '@angular/material/input/testing';
import { MatPaginatorHarness } from '@angular/material/paginator/testing';
import { MatSelectHarness } from '@angular/material/select/testing';
import { MatSortHarness } from '@angular/material/sort/testing';
import { MatTableHarness } from '@angular/material/table/testing';
import { provideRouter, Router } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { startOfLocalDay } from '../format';
import { answer, to } from '../testing/http-answers';
import { fakeAgent, fakeCall, fakeCallPage, fakePage } from '../testing/supervisor-fakes';
import { CallHistoryMemory } from './call-history-memory';
import { CallHistoryPage } from './call-history-page';

describe('CallHistoryPage', () => {
  let backend: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        provideRouter([
          { path: 'supervisor/calls', component: CallHistoryPage },
          { path: 'supervisor/calls/:id', children: [] },
        ]),
        provideHttpClient(),
        provideHttpClientTesting(),
      ],
    });
    backend = TestBed.inject(HttpTestingController);
  });
  afterEach(() => backend.verify());

  const agents = [fakeAgent(), fakeAgent({ agentId: 'u-bo', displayName: 'Bo Agent', username: 'bo.agent' })];

  /** Opens the page at `url`, answers its first reads (with `calls`), and returns the list request's params. */
  async function open(url = '/supervisor/calls', calls: unknown = fakePage([fakeCall()], 120)) {
    const harness = await RouterTestingHarness.create();
    const navigated = harness.navigateByUrl(url);
    await answer(backend, to('/api/agents'), agents);
    const [list] = await answer(backend, to('/api/calls'), calls);
    await navigated;
    await harness.fixture.whenStable();
    return { harness, loader: TestbedHarnessEnvironment.loader(harness.fixture), first: list.request.params };
  }

  /** The page's URL query as an object. */
  function query(): Record<string, string> {
    const entries: Record<string, string> = {};
    new URLSearchParams(TestBed.inject(Router).url.split('?')[1] ?? '').forEach((value, key) => (entries[key] = value));
    return entries;
  }

  it('asks for the newest calls first, 25 a page, and shows time, student, agent, outcome, queue and talk time', async () => {
    const { loader, first } = await open();
    expect(first.keys().sort()).toEqual(['count', 'dir', 'page', 'pageSize', 'sort']);
    expect(first.get('count')).toBe('capped');
    expect([first.get('sort'), first.get('dir'), first.get('page'), first.get('pageSize')]).toEqual(['queuedAt', 'desc', '1', '25']);
    const table = await loader.getHarness(MatTableHarness);
    const headers = await (await table.getHeaderRows())[0].getCellTextByIndex();
    expect(headers).toEqual(['Time', 'Student', 'Agent', 'Outcome', 'Queue time', 'Talk time']);
    const cells = await table.getCellTextByIndex();
    expect(cells[0].slice(1)).toEqual(['Sam Student', 'Ada Agent', 'Answered', '0:12', '5:00']);
  });

  it('filters on poor call quality: the choice goes to the URL and to GET /api/calls', async () => {
    const { harness, loader } = await open();
    const quality = await loader.getHarness(MatSelectHarness.with({ selector: '[formControlName=quality]' }));
    await quality.open();
    await quality.clickOptions({ text: 'Poor quality' });
    await (await loader.getHarness(MatButtonHarness.with({ text: 'Apply filters' }))).click();
    const [list] = await answer(backend, to('/api/calls'), fakePage([fakeCall()]));
    await harness.fixture.whenStable();
    expect(list.request.params.get('quality')).toBe('poor');
    expect(query()['quality']).toBe('poor');
  });

  it('restores the poor-quality filter from a link, in the form and in the request', async () => {
    const { loader, first } = await open('/supervisor/calls?quality=poor');
    expect(first.get('quality')).toBe('poor');
    expect(await (await loader.getHarness(MatSelectHarness.with({ selector: '[formControlName=quality]' }))).getValueText()).toBe('Poor quality');
  });

  it('applies the filters: they go to the URL and to GET /api/calls, from page 1', async () => {
    const { harness, loader } = await open('/supervisor/calls?page=3&after=c-2');
    await (await loader.getHarness(MatInputHarness.with({ selector: '[formControlName=from]' }))).setValue('2026-11-01');
    await (await loader.getHarness(MatInputHarness.with({ selector: '[formControlName=to]' }))).setValue('2026-11-30');
    const agent = await loader.getHarness(MatSelectHarness.with({ selector: '[formControlName=agentId]' }));
    await agent.open();
    await agent.clickOptions({ text: 'Bo Agent' });
    const outcome = await loader.getHarness(MatSelectHarness.with({ selector: '[formControlName=outcome]' }));
    await outcome.open();
    await outcome.clickOptions({ text: 'Abandoned' });
    await outcome.clickOptions({ text: 'Unanswered' });
    await outcome.close();
    await (await loader.getHarness(MatInputHarness.with({ selector: '[formControlName=student]' }))).setValue('  sam ');

    const applied = (await loader.getHarness(MatButtonHarness.with({ text: 'Apply filters' }))).click();
    const [list] = await answer(backend, to('/api/calls'), fakePage([]));
    await applied;
    await harness.fixture.whenStable();

    const params = list.request.params;
    expect(params.get('from')).toBe(startOfLocalDay('2026-11-01'));
    expect(params.get('to')).toBe(startOfLocalDay('2026-11-30', 1));
    expect(params.get('agentId')).toBe('u-bo');
    expect(params.get('outcome')).toBe('abandoned,unanswered');
    expect(params.get('student')).toBe('sam');
    expect(params.get('page')).toBe('1');
    expect(params.has('after')).toBeFalse();
    expect(query()).toEqual({ from: '2026-11-01', to: '2026-11-30', agentId: 'u-bo', outcome: 'abandoned,unanswered', student: 'sam' });
  });

  it('reproduces a view from its link: the request and the form follow the URL', async () => {
    const { loader, first } = await open('/supervisor/calls?agentId=u-agent&outcome=failed&student=kim&sort=talkSeconds&dir=asc&page=2&pageSize=50');
    expect(Object.fromEntries(first.keys().map((k) => [k, first.get(k)]))).toEqual({
      agentId: 'u-agent',
      outcome: 'failed',
      student: 'kim',
      sort: 'talkSeconds',
      dir: 'asc',
      page: '2',
      pageSize: '50',
      count: 'capped',
    });
    expect(await (await loader.getHarness(MatInputHarness.with({ selector: '[formControlName=student]' }))).getValue()).toBe('kim');
    expect(await (await loader.getHarness(MatSelectHarness.with({ selector: '[formControlName=agentId]' }))).getValueText()).toBe('Ada Agent');
    const paginator = await loader.getHarness(MatPaginatorHarness);
    expect(await paginator.getRangeLabel()).toBe('51 – 100 of 120');
  });

  /** The calls' ids in the table's order. */
  function shownIds(harness: RouterTestingHarness): string[] {
    return Array.from((harness.fixture.nativeElement as HTMLElement).querySelectorAll<HTMLAnchorElement>('td a'), (a) => (a.getAttribute('href') ?? '').split('/').pop() ?? '');
  }

  /** Turns the page with `turn` and answers the list read with `page`; the request's params. */
  async function turnTo(harness: RouterTestingHarness, turn: Promise<void>, page: unknown) {
    const [list] = await answer(backend, to('/api/calls'), page);
    await turn;
    await harness.fixture.whenStable();
    return list.request.params;
  }

  const calls = (...ids: string[]) => ids.map((id) => fakeCall({ id }));

  it('pages by keyset: Next and Previous send the shown page\'s cursors, which the URL keeps; Previous to page 1 and First show the newest page', async () => {
    const { harness, loader } = await open('/supervisor/calls', fakeCallPage(calls('c-1'), { total: 120, nextCursor: 'n-1' }));
    const paginator = await loader.getHarness(MatPaginatorHarness);

    let sent = await turnTo(harness, paginator.goToNextPage(), fakeCallPage(calls('c-2'), { total: 120, nextCursor: 'n-2', prevCursor: 'p-2' }));
    expect([sent.get('after'), sent.has('before')]).toEqual(['n-1', false]);
    expect(query()).toEqual({ page: '2', after: 'n-1' });
    expect(shownIds(harness)).toEqual(['c-2']);
    expect(await paginator.getRangeLabel()).toBe('26 – 50 of 120');

    sent = await turnTo(harness, paginator.goToNextPage(), fakeCallPage(calls('c-3'), { total: 120, nextCursor: 'n-3', prevCursor: 'p-3' }));
    expect(sent.get('after')).toBe('n-2');
    expect(query()).toEqual({ page: '3', after: 'n-2' });
    expect(await paginator.getRangeLabel()).toBe('51 – 75 of 120');

    sent = await turnTo(harness, paginator.goToPreviousPage(), fakeCallPage(calls('c-2'), { total: 120, nextCursor: 'n-2', prevCursor: 'p-2' }));
    expect([sent.get('before'), sent.has('after')]).toEqual(['p-3', false]);
    expect(query()).toEqual({ page: '2', before: 'p-3' });
    expect(await paginator.getRangeLabel()).toBe('26 – 50 of 120');

    sent = await turnTo(harness, paginator.goToPreviousPage(), fakeCallPage(calls('c-1'), { total: 120, nextCursor: 'n-1' }));
    expect([sent.has('before'), sent.has('after'), sent.get('page')]).toEqual([false, false, '1']);
    expect(query()).toEqual({});

    await turnTo(harness, paginator.goToNextPage(), fakeCallPage(calls('c-2'), { total: 120, nextCursor: 'n-2', prevCursor: 'p-2' }));
    sent = await turnTo(harness, paginator.goToFirstPage(), fakeCallPage(calls('c-1'), { total: 120, nextCursor: 'n-1' }));
    expect([sent.has('before'), sent.has('after'), sent.get('page')]).toEqual([false, false, '1']);
    expect(query()).toEqual({});
    expect(shownIds(harness)).toEqual(['c-1']);

    // With an exact total the last page is known: it is read by its number.
    sent = await turnTo(harness, paginator.goToLastPage(), fakeCallPage(calls('c-5'), { total: 120, prevCursor: 'p-5' }));
    expect([sent.get('page'), sent.has('after'), sent.has('before')]).toEqual(['5', false, false]);
    expect(query()).toEqual({ page: '5' });
    expect(await paginator.getRangeLabel()).toBe('101 – 120 of 120');
  });

  it('restores a keyset page from its link (a reload, a shared URL): the same cursor is asked for and the page keeps its number', async () => {
    const { harness, loader, first } = await open('/supervisor/calls?agentId=u-agent&page=3&after=n-2', fakeCallPage(calls('c-3'), { total: 120, nextCursor: 'n-3', prevCursor: 'p-3' }));
    expect([first.get('after'), first.get('agentId'), first.has('before')]).toEqual(['n-2', 'u-agent', false]);
    const paginator = await loader.getHarness(MatPaginatorHarness);
    expect(await paginator.getRangeLabel()).toBe('51 – 75 of 120');
    expect(shownIds(harness)).toEqual(['c-3']);
    expect(TestBed.inject(CallHistoryMemory).url()).toBe('/supervisor/calls?agentId=u-agent&page=3&after=n-2');
  });

  it('restores a page reached by Previous from its link: the calls before the same cursor', async () => {
    const { first } = await open('/supervisor/calls?page=2&before=p-3');
    expect([first.get('before'), first.has('after')]).toEqual(['p-3', false]);
  });

  it('says "more than 10 000" when the API stopped counting, keeps Next while there is a next page and offers no Last', async () => {
    const { harness, loader } = await open('/supervisor/calls', fakeCallPage(calls('c-1'), { total: 10_000, totalExact: false, nextCursor: 'n-1' }));
    const paginator = await loader.getHarness(MatPaginatorHarness);
    expect(await paginator.getRangeLabel()).toBe('1 – 25 of more than 10 000');
    const last = (harness.fixture.nativeElement as HTMLElement).querySelector<HTMLElement>('.mat-mdc-paginator-navigation-last');
    expect(last && getComputedStyle(last).display).toBe('none');
    expect(await paginator.isNextPageDisabled()).toBeFalse();
  });

  it('pages past the capped count by cursor until the API says there is no next page, then states the count', async () => {
    const deep = await open('/supervisor/calls?page=400&after=n-399', fakeCallPage(calls('c-400'), { total: 10_000, totalExact: false, nextCursor: 'n-400', prevCursor: 'p-400' }));
    const deepPaginator = await deep.loader.getHarness(MatPaginatorHarness);
    expect(await deepPaginator.getRangeLabel()).toBe('9976 – 10000 of more than 10 000');
    const sent = await turnTo(deep.harness, deepPaginator.goToNextPage(), fakeCallPage(calls('c-401', 'c-402'), { total: 10_000, totalExact: false, prevCursor: 'p-401' }));
    expect(sent.get('after')).toBe('n-400');
    expect(await deepPaginator.getRangeLabel()).toBe('10001 – 10002 of 10002');
    expect(await deepPaginator.isNextPageDisabled()).toBeTrue();
  });

  it('sorts on the server from the first page: sort params in the request and the URL, the cursor dropped', async () => {
    const { harness, loader } = await open('/supervisor/calls?page=2&after=n-1');
    const sort = await loader.getHarness(MatSortHarness);
    const student = (await sort.getSortHeaders({ label: 'Student' }))[0];
    const sorted = student.click();
    const [bySudent] = await answer(backend, to('/api/calls'), fakePage([fakeCall()], 120));
    await sorted;
    await harness.fixture.whenStable();
    expect(bySudent.request.params.get('sort')).toBe('callerName');
    expect(bySudent.request.params.get('dir')).toBe('asc');
    expect(bySudent.request.params.get('page')).toBe('1');
    expect(bySudent.request.params.has('after')).toBeFalse();
    expect(query()).toEqual({ sort: 'callerName', dir: 'asc' });
  });

  it("exports the filtered set in the table's order: GET /api/calls/export.csv with the same filters, sort and dir, as a blob", async () => {
    const click = spyOn(HTMLAnchorElement.prototype, 'click');
    const { loader } = await open('/supervisor/calls?from=2026-11-01&agentId=u-agent&outcome=answered&student=sam&sort=talkSeconds&dir=asc&page=2&after=c-2');
    const exported = (await loader.getHarness(MatButtonHarness.with({ text: /Export CSV/ }))).click();
    const [request] = await answer(backend, to('/api/calls/export.csv'), new Blob(['id\r\n'], { type: 'text/csv' }));
    await exported;
    expect(request.request.responseType).toBe('blob');
    const params = request.request.params;
    expect(Object.fromEntries(params.keys().map((k) => [k, params.get(k)]))).toEqual({
      from: startOfLocalDay('2026-11-01') as string,
      agentId: 'u-agent',
      outcome: 'answered',
      student: 'sam',
      sort: 'talkSeconds',
      dir: 'asc',
    });
    expect(click).toHaveBeenCalled();
  });

  it('links each row to the call detail page', async () => {
    const { harness } = await open();
    const link = (harness.fixture.nativeElement as HTMLElement).querySelector<HTMLAnchorElement>('td a');
    expect(link?.getAttribute('href')).toBe('/supervisor/calls/call-1');
  });

  it("remembers the view it shows, so the detail page's Back returns to the same filters, sort and page", async () => {
    const memory = TestBed.inject(CallHistoryMemory);
    expect(memory.url()).toBe('/supervisor/calls');
    const { harness, loader } = await open('/supervisor/calls?agentId=u-agent&outcome=answered,failed&sort=talkSeconds&dir=asc', fakeCallPage([fakeCall()], { total: 120, nextCursor: 'n-1' }));
    expect(memory.url()).toBe('/supervisor/calls?agentId=u-agent&outcome=answered,failed&sort=talkSeconds&dir=asc');

    const paginator = await loader.getHarness(MatPaginatorHarness);
    const turned = paginator.goToNextPage();
    await answer(backend, to('/api/calls'), fakeCallPage([fakeCall()], { total: 120, prevCursor: 'p-2' }));
    await turned;
    await harness.fixture.whenStable();
    expect(memory.url()).toBe(TestBed.inject(Router).url);
    expect(memory.url()).toBe('/supervisor/calls?agentId=u-agent&outcome=answered,failed&sort=talkSeconds&dir=asc&page=2&after=n-1');
  });
});
