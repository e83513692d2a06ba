import { mount } from 'svelte';
import './styles/app.css';
import App from './App.svelte';
import { theme } from './state/theme.svelte';

theme.apply();
mount(App, { target: document.getElementById('app')! });
