import './shared/style.css';
