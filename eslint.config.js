import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'build/',
      'node_modules/',
      'coverage/',
      'visualize/dist/',
      'reports/',
      '.stryker-tmp/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // machines/ is the pure core: time and randomness are injected, never read directly.
    files: ['machines/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'clearTimeout', 'setImmediate'],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'machines/ reads time only from the injected clock.' },
        {
          object: 'Math',
          property: 'random',
          message: 'machines/ reads randomness only from the injected source.',
        },
      ],
      'no-restricted-imports': ['error', { patterns: ['../src/*', '**/src/*', 'node:*'] }],
    },
  },
);
