// The base stylesheet first, so the views' own CSS (imported by their components) comes after it.
import './styles.css';
import { render } from 'preact';
import { takeToken } from './api.js';
import { App } from './app.js';

// takeToken first: it moves `#token=…` out of the address bar before anything reads the route.
const token = takeToken();
if (token && !location.hash) history.replaceState(null, '', '#/pods');
const root = document.getElementById('app');
if (root) render(<App hasToken={token !== undefined} />, root);
