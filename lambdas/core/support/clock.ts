/** A source of the current time, passed in so that expiry can be tested at any instant. */
export type Clock = () => Date;

/** The real clock. */
export const systemClock: Clock = () => new Date();
