import type { CallId, NegotiationId, SignalMessage } from '@switchboard/call-domain';
import { type Observable, ReplaySubject, Subject, type Subscription, connectable, timer } from 'rxjs';
import { type AwaitedDescription, callSignals } from './call-signals';

/**
 * One call's inbound signaling, collected from the moment the call is known and held until
 * {@link CallInbox.accept}, fenced by negotiation: only the current negotiation's messages
 * pass (see `currentNegotiation`). `messages$` is hot: subscribe to it, then call `accept()`.
 */
export class CallInbox {
  /** The call's messages in the order to apply them; completes when the inbox closes. */
  readonly messages$: Observable<SignalMessage>;
  /**
   * The current negotiation's description of the awaited kind (the offer, for an agent) as
   * soon as it arrives, even while it is held: replays the latest; completes when the inbox closes.
   */
  readonly description$: Observable<SignalMessage>;
  /**
   * Every message of the current negotiation as it arrives, even while held (each description
   * followed by its candidates), replayed from the first: for a connection set up while the
   * call rings (early media). Completes when the inbox closes.
   */
  readonly arrivals$: Observable<SignalMessage>;

  private readonly input = new Subject<SignalMessage>();
  private readonly accepted = new Subject<void>();
  private readonly ended = new Subject<void>();
  private readonly started = new Subject<NegotiationId>();
  private readonly described = new ReplaySubject<SignalMessage>(1);
  private readonly arrived = new ReplaySubject<SignalMessage>();
  private readonly connection: Subscription;
  private isClosed = false;

  /**
   * @param callId The call this inbox collects for.
   * @param awaits The description this side applies: `offer` for the agent, `answer` for the caller.
   */
  constructor(
    readonly callId: CallId,
    readonly awaits: AwaitedDescription,
  ) {
    const messages = connectable(
      callSignals(this.input, {
        callId,
        awaits,
        accepted$: this.accepted,
        ended$: this.ended,
        negotiationStarted$: this.started,
        described: (description) => this.described.next(description),
        arrived: (message) => this.arrived.next(message),
      }),
      { connector: () => new Subject<SignalMessage>(), resetOnDisconnect: false },
    );
    this.messages$ = messages;
    this.description$ = this.described.asObservable();
    this.arrivals$ = this.arrived.asObservable();
    this.connection = messages.connect();
  }

  /** Whether the inbox was closed; a closed inbox takes and gives nothing. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Hands a relayed message to the inbox (messages of other calls are ignored). */
  deliver(message: SignalMessage): void {
    this.input.next(message);
  }

  /** Releases the held messages to `messages$` and lets later ones straight through. */
  accept(): void {
    this.accepted.next();
  }

  /**
   * The offering side started negotiation `negotiationId` (call it before sending its offer):
   * from now on answers and candidates of the negotiations before it are dropped.
   */
  startNegotiation(negotiationId: NegotiationId): void {
    this.started.next(negotiationId);
  }

  /** Completes `messages$` and discards whatever is still held. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.ended.next();
    this.connection.unsubscribe();
    this.described.complete();
    this.arrived.complete();
  }
}

/** How long an inbox opened by a message, for a call never offered to this tab, is kept. */
const UNCLAIMED_TTL_MS = 60_000;
/** How many closed call ids are remembered so that their late messages are dropped. */
const CLOSED_IDS_KEPT = 200;

/**
 * Routes relayed messages to per-call {@link CallInbox}es. An inbox opens when the call is
 * offered, when the caller opens it, or when a message for an unknown call arrives first
 * (events can overtake each other between API nodes). It closes when the call is withdrawn
 * or ends; messages arriving for a closed call afterwards are dropped, so a stale offer
 * can never reach another call. Only a new offer of the call from the server (`offered$`:
 * a declined call that came back to this agent) opens a closed call again, on a new inbox.
 */
export class CallInboxes {
  private readonly inboxes = new Map<CallId, { inbox: CallInbox; expiry: Subscription | null }>();
  private readonly closedIds = new Set<CallId>();
  private readonly subscriptions: Subscription[];

  /**
   * @param signals$ Every relayed message of this connection.
   * @param offered$ Ids of calls offered to this agent.
   * @param closed$ Ids of calls withdrawn from this agent or ended.
   */
  constructor(signals$: Observable<SignalMessage>, offered$: Observable<CallId>, closed$: Observable<CallId>) {
    this.subscriptions = [
      signals$.subscribe((message) => this.route(message)),
      offered$.subscribe((callId) => this.reopen(callId)),
      closed$.subscribe((callId) => this.close(callId)),
    ];
  }

  /**
   * Opens (or claims the already open) inbox of `callId`. Returns null for a call that was
   * already closed here: it is over and must not be set up again.
   */
  open(callId: CallId, awaits: AwaitedDescription): CallInbox | null {
    const entry = this.live(callId);
    if (this.closedIds.has(callId)) return null;
    if (entry) {
      entry.expiry?.unsubscribe();
      entry.expiry = null;
      return entry.inbox;
    }
    const inbox = new CallInbox(callId, awaits);
    this.inboxes.set(callId, { inbox, expiry: null });
    return inbox;
  }

  /** Closes the inbox of `callId` and drops that call's later messages. */
  close(callId: CallId): void {
    const entry = this.inboxes.get(callId);
    entry?.expiry?.unsubscribe();
    entry?.inbox.close();
    this.inboxes.delete(callId);
    this.closedIds.add(callId);
    if (this.closedIds.size > CLOSED_IDS_KEPT) {
      this.closedIds.delete(this.closedIds.values().next().value as CallId);
    }
  }

  /** Closes every inbox (sign-out, disconnect). */
  closeAll(): void {
    for (const callId of [...this.inboxes.keys()]) this.close(callId);
  }

  /** Closes every inbox and stops listening. */
  dispose(): void {
    this.closeAll();
    for (const subscription of this.subscriptions) subscription.unsubscribe();
  }

  /** The server offered `callId` (again): its inbox opens even if it was closed here. */
  private reopen(callId: CallId): void {
    this.live(callId); // forgets an inbox its session closed
    this.closedIds.delete(callId);
    this.open(callId, 'offer');
  }

  private route(message: SignalMessage): void {
    let entry = this.live(message.callId);
    if (this.closedIds.has(message.callId)) return;
    if (!entry) {
      // Only an agent receives messages for a call it has not opened: the caller opens its
      // inbox before it sends the offer that anything could answer.
      const inbox = new CallInbox(message.callId, 'offer');
      const expiry = timer(UNCLAIMED_TTL_MS).subscribe(() => this.close(message.callId));
      entry = { inbox, expiry };
      this.inboxes.set(message.callId, entry);
    }
    entry.inbox.deliver(message);
  }

  /** The open entry of `callId`; an inbox its session closed counts as a closed call. */
  private live(callId: CallId): { inbox: CallInbox; expiry: Subscription | null } | undefined {
    const entry = this.inboxes.get(callId);
    if (entry?.inbox.closed) {
      this.close(callId);
      return undefined;
    }
    return entry;
  }
}
