"""The station desk: a small web app for presenters and coordinators (`station desk`).

Server-rendered pages that work without JavaScript. Presenters upload
recordings with everything their sidecar holds, follow each of their own
episodes in plain words, correct transcripts, pause themselves from the
overnight stream and withdraw. Coordinators do that for every episode and
also edit the overnight schedule, preview tonight, see every problem and
manage accounts. Everything is behind sign-in; see docs/desk.md.
"""
