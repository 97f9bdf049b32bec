import { AccountMenu } from "./account-menu";
import { Logo } from "./logo";
import { NavLinks } from "./nav-links";

export function AppHeader({ email }: { email: string }) {
  return (
    <header className="border-b border-slate-200 bg-white/80 dark:border-slate-800 dark:bg-slate-900/80">
      <div className="mx-auto flex h-14 max-w-6xl items-center gap-4 px-4 sm:gap-6 sm:px-6">
        <Logo isCompactOnPhones />
        <NavLinks />
        <div className="ml-auto">
          <AccountMenu email={email} />
        </div>
      </div>
    </header>
  );
}
