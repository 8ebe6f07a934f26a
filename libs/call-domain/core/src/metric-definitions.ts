/** Identifiers of the figures `CallMetrics` reports; keys of {@link METRIC_DEFINITIONS}. */
export type MetricName =
  | 'offered'
  | 'answered'
  | 'abandoned'
  | 'shortAbandoned'
  | 'answerRate'
  | 'abandonRate'
  | 'averageSpeedOfAnswerSeconds'
  | 'averageHandleTimeSeconds'
  | 'serviceLevel'
  | 'missedOffers'
  | 'callsByHour'
  | 'longestCurrentWaitSeconds'
  | 'callsWaiting';

/** How the page explains one figure. */
export interface MetricDefinition {
  /** Short name shown as the figure's title. */
  label: string;
  /** The industry definition, word for word from shared/CONTACT-CENTER.md. */
  definition: string;
  /** How this product counts the cases the definition leaves open; null when there are none. */
  note: string | null;
}

/** What each figure means: the definitions the portal prints next to the numbers. */
export const METRIC_DEFINITIONS: Readonly<Record<MetricName, MetricDefinition>> = {
  offered: {
    label: 'Offered',
    definition: 'Offered: calls that entered the queue.',
    note: 'Every call queued in the period, including calls still waiting or in progress.',
  },
  answered: {
    label: 'Answered',
    definition: 'Answered: an agent accepted and media connected.',
    note: 'Ended calls with the outcome Answered, and calls in progress whose media has connected.',
  },
  abandoned: {
    label: 'Abandoned',
    definition: 'Abandoned: the caller hung up or left while waiting (before any agent answered).',
    note: 'Includes short abandons.',
  },
  shortAbandoned: {
    label: 'Short abandons',
    definition: 'Short abandon: abandoned within the short-abandon window (default 5 s); excluded from service level.',
    note: 'An abandoned call whose queue time is at most the window.',
  },
  answerRate: {
    label: 'Answer rate',
    definition: 'Answer rate = answered ÷ offered.',
    note: 'None when nothing was offered.',
  },
  abandonRate: {
    label: 'Abandon rate',
    definition: 'Abandon rate = abandoned ÷ offered.',
    note: 'Abandoned includes short abandons; none when nothing was offered.',
  },
  averageSpeedOfAnswerSeconds: {
    label: 'Average speed of answer (ASA)',
    definition: 'Average speed of answer (ASA): mean time from entering the queue to being answered, answered calls only.',
    note: null,
  },
  averageHandleTimeSeconds: {
    label: 'Average handle time (AHT)',
    definition: 'Average handle time (AHT): mean of talk time + wrap-up time per answered call.',
    note: 'Calls still in talk are left out; a wrap-up not yet saved counts as 0 s.',
  },
  serviceLevel: {
    label: 'Service level',
    definition:
      'Service level (threshold X s, default 20 s) = answered within X ÷ (answered + abandoned − short abandons). The threshold and the short-abandon window are shown with the number.',
    note: '"Within X" means a queue time of at most X seconds; none when the divisor is 0.',
  },
  missedOffers: {
    label: 'Missed offers',
    definition: 'Agent missed offers: count of offers that rang out, per agent.',
    note: 'Counted from the "missed" events of the calls queued in the period.',
  },
  callsByHour: {
    label: 'Calls per hour of day',
    definition: 'Calls per hour of day: calls offered in each hour 0–23.',
    note: 'Not in the industry list: by the time each call entered the queue, in the chosen IANA time zone (default UTC).',
  },
  longestCurrentWaitSeconds: {
    label: 'Longest current wait',
    definition: 'Longest current wait and calls waiting: real-time.',
    note: 'How long the caller who has waited longest (queued or ringing) has been waiting now; none when nobody waits.',
  },
  callsWaiting: {
    label: 'Calls waiting',
    definition: 'Longest current wait and calls waiting: real-time.',
    note: 'Calls queued or ringing right now.',
  },
};
