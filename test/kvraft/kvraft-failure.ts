/** A kvraft test failed a check of the course's tester (its t.Fatalf). */
export class KvraftFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KvraftFailure';
  }
}
